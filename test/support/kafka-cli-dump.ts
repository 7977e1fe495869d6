/**
 * The hidden oracle: a cluster's control plane as Kafka's own command-line tools print it
 * (TopicCommand, ConfigCommand, AclCommand, ConsumerGroupCommand from the cached jars of the
 * cluster's Kafka version), parsed into items — one key and one value per thing the tools show —
 * so a source and a restored target can be compared item for item. Every tool runs in ONE JVM per
 * cluster (ToolBatch.java). Run as a script (a drill's manual-step automation), it dumps the
 * drill's environment (KAFKA_DRILL_BOOTSTRAP, KAFKA_DRILL_COMMAND_CONFIG, KAFKA_DRILL_KAFKA_VERSION)
 * into `<dir>/<version>.json`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { resolveDistribution } from '../../src/runtime/distribution.js';
import { javaBinary } from '../../src/runtime/java.js';

export interface ClusterAccess {
  kafkaVersion: string;
  bootstrap: string;
  /** Java client properties file (credentials stay in it, never on a command line). */
  commandConfig: string;
}

export interface ToolOutput {
  tool: string;
  exit: number;
  stdout: string;
}

export interface ToolDump {
  kafkaVersion: string;
  tools: ToolOutput[];
  /** Wall time of the one JVM. */
  jvmMs: number;
}

/** 4.0 moved AclCommand from core (Scala) to tools (Java); the others kept their names. */
function aclCommandClass(kafkaVersion: string): string {
  return Number(kafkaVersion.split('.')[0]) >= 4 ? 'org.apache.kafka.tools.AclCommand' : 'kafka.admin.AclCommand';
}

/** Each tool run: its main class and the arguments after the connection options. */
function commands(kafkaVersion: string): string[][] {
  const config = ['kafka.admin.ConfigCommand', '--describe', '--entity-type'];
  return [
    ['org.apache.kafka.tools.TopicCommand', '--describe', '--exclude-internal'],
    [...config, 'topics'],
    // Without --entity-name: every broker's dynamic configs and the cluster-wide defaults.
    [...config, 'brokers'],
    // Quota entities of each kind including <default>; users also prints SCRAM mechanisms and iterations.
    [...config, 'users'],
    [...config, 'users', '--entity-type', 'clients'],
    [...config, 'clients'],
    [...config, 'ips'],
    [aclCommandClass(kafkaVersion), '--list'],
    ['org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', '--describe', '--all-groups', '--offsets'],
  ];
}

const MARKER = /^==== kafka-drill tool (\d+) exit=(\d+)$/;

/**
 * Compiles ToolBatch.java into `dir` (once per test file: it needs no Kafka jar to compile, and
 * Java's source launcher would recompile it against the whole class path in every JVM, seconds each).
 */
export async function compileToolBatch(dir: string): Promise<string> {
  const javac = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'javac') : 'javac';
  await execa(javac, ['-nowarn', '-d', dir, fileURLToPath(new URL('ToolBatch.java', import.meta.url))]);
  return dir;
}

/** Runs every tool against one cluster in one JVM (ToolBatch compiled into `classes`) and returns what each printed. */
export async function dumpWithKafkaTools(access: ClusterAccess, classes: string): Promise<ToolDump> {
  const { libsDir } = await resolveDistribution(access.kafkaVersion);
  const work = await mkdtemp(path.join(tmpdir(), 'kafka-drill-oracle-'));
  try {
    const batch = commands(access.kafkaVersion).map(([tool, ...args]) => [tool!, '--bootstrap-server', access.bootstrap, '--command-config', access.commandConfig, ...args]);
    const batchFile = path.join(work, 'batch.tsv');
    await writeFile(batchFile, batch.map((line) => line.join('\t')).join('\n') + '\n');
    const started = performance.now();
    const ran = await execa(javaBinary(), ['-Xmx256m', '-cp', `${libsDir}/*:${classes}`, 'ToolBatch', batchFile], { reject: false, timeout: 180_000 });
    const jvmMs = Math.round(performance.now() - started);
    if (ran.exitCode !== 0) throw new Error(`ToolBatch on Kafka ${access.kafkaVersion} exited with ${ran.exitCode}: ${ran.stderr.slice(-2_000)}`);
    const tools: ToolOutput[] = [];
    let lines: string[] = [];
    for (const line of ran.stdout.split('\n')) {
      const marker = MARKER.exec(line);
      if (!marker) {
        lines.push(line);
        continue;
      }
      const args = batch[Number(marker[1])]!;
      tools.push({ tool: [args[0]!.split('.').pop(), ...args.slice(5)].join(' '), exit: Number(marker[2]), stdout: lines.join('\n') });
      lines = [];
    }
    const failed = tools.filter((tool) => tool.exit !== 0);
    if (tools.length !== batch.length || failed.length) {
      throw new Error(`Kafka ${access.kafkaVersion}'s tools: ${tools.length}/${batch.length} ran, failed: ${failed.map((t) => t.tool).join('; ')}\n${ran.stderr.slice(-2_000)}`);
    }
    return { kafkaVersion: access.kafkaVersion, tools, jvmMs };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Item key → value, e.g. "acl TOPIC:PREFIXED:ord User:app-reader@* READ ALLOW" → "present". */
export type DumpItems = Map<string, string>;

/** ConfigCommand's quota entity phrases, as `type=name` with <default>. */
function quotaEntity(text: string): string {
  return text
    .split(', ')
    .map((part) => {
      const named = /^(user-principal|client-id|ip) '(.*)'$/.exec(part);
      if (named) return `${named[1] === 'user-principal' ? 'user' : named[1]}=${named[2]}`;
      const byDefault = /^the default (user-principal|client-id|ip)$/.exec(part);
      if (byDefault) return `${byDefault[1] === 'user-principal' ? 'user' : byDefault[1]}=<default>`;
      throw new Error(`unrecognised quota entity "${part}"`);
    })
    .join(',');
}

/** `a=1,b=x,y` as the tools print key=value lists whose values may hold commas. */
function keyValues(text: string, separator: RegExp): [string, string][] {
  return text
    .split(separator)
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    });
}

/**
 * Every item the tools printed. A line none of the parsers knows fails: a format a Kafka version
 * changed must not turn into an empty dump that compares equal.
 */
export function dumpItems(dump: ToolDump): DumpItems {
  const items: DumpItems = new Map();
  const add = (key: string, value: string) => {
    if (items.has(key) && items.get(key) !== value) throw new Error(`${dump.kafkaVersion}: ${key} printed twice, as ${items.get(key)} and ${value}`);
    items.set(key, value);
  };
  for (const { tool, stdout } of dump.tools) {
    let section = '';
    for (const line of stdout.split('\n')) {
      if (!line.trim()) continue;
      const unknown = () => new Error(`${dump.kafkaVersion} ${tool}: unrecognised line "${line}"`);
      let m: RegExpExecArray | null;
      if (tool.startsWith('TopicCommand')) {
        if ((m = /^Topic: (\S+)\tTopicId: \S+\tPartitionCount: (\d+)\tReplicationFactor: (\d+)\tConfigs: ?(.*)$/.exec(line))) {
          add(`topic ${m[1]}`, `partitions=${m[2]} replicationFactor=${m[3]}`);
          for (const [name, value] of keyValues(m[4]!, /,(?=[a-z0-9.]+=)/)) add(`topic ${m[1]} config ${name}`, value);
        } else if ((m = /^\tTopic: (\S+)\tPartition: (\d+)\tLeader: \S+\tReplicas: (\S+)\tIsr: (\S+)/.exec(line))) {
          // Broker ids are each cluster's own: how many replicas and in-sync replicas, not which brokers.
          add(`topic ${m[1]} partition ${m[2]}`, `replicas=${m[3]!.split(',').length} isr=${m[4]!.split(',').length}`);
        } else throw unknown();
      } else if (tool.startsWith('ConfigCommand')) {
        if ((m = /^Dynamic configs for topic (.+) are:$/.exec(line))) section = `topic ${m[1]} dynamic-config`;
        else if ((m = /^Dynamic configs for broker (\d+) are:$/.exec(line))) section = `broker ${m[1]} dynamic-config`;
        else if (/^Default configs for brokers in the cluster are:$/.test(line)) section = 'broker <default> dynamic-config';
        else if ((m = /^ {2}(\S+?)=(.*) sensitive=(true|false) synonyms=\{.*\}$/.exec(line)) && section) add(`${section} ${m[1]}`, m[3] === 'true' ? '<sensitive>' : m[2]!);
        else if ((m = /^Quota configs for (.+) are (.*)$/.exec(line))) {
          for (const [key, value] of keyValues(m[2]!, /, /)) add(`quota ${quotaEntity(m[1]!)} ${key}`, String(Number(value)));
        } else if ((m = /^SCRAM credential configs for user-principal '(.*)' are (.*)$/.exec(line))) {
          for (const [mechanism, iterations] of keyValues(m[2]!, /, /)) add(`scram ${m[1]} ${mechanism}`, iterations);
        } else throw unknown();
      } else if (tool.startsWith('AclCommand')) {
        if ((m = /^Current ACLs for resource `ResourcePattern\(resourceType=(\w+), name=(.*), patternType=(\w+)\)`:\s*$/.exec(line))) section = `${m[1]}:${m[3]}:${m[2]}`;
        else if ((m = /^\s*\(principal=(.*), host=(.*), operation=(\w+), permissionType=(\w+)\)\s*$/.exec(line)) && section)
          add(`acl ${section} ${m[1]}@${m[2]} ${m[3]} ${m[4]}`, 'present');
        else throw unknown();
      } else if (tool.startsWith('ConsumerGroupCommand')) {
        if (/^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG/.test(line)) continue;
        if (/^Consumer group '.*' has no active members\.$/.test(line)) continue;
        if ((m = /^(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s/.exec(line))) add(`group ${m[1]} offset ${m[2]}-${m[3]}`, `current=${m[4]} logEnd=${m[5]} lag=${m[6]}`);
        else throw unknown();
      }
    }
  }
  return items;
}

/** One item left out of the comparison, and why it legitimately differs. */
export interface Normalisation {
  /** Items whose key matches are left out of both dumps. */
  matches: (key: string) => boolean;
  reason: string;
}

/** Every item that is not the same on both sides, named: missing, extra, or with both values. */
export function compareItems(source: DumpItems, target: DumpItems, normalisations: Normalisation[]): string[] {
  const kept = (key: string) => !normalisations.some((normalisation) => normalisation.matches(key));
  const differences: string[] = [];
  for (const [key, value] of source) {
    if (!kept(key)) continue;
    if (!target.has(key)) differences.push(`missing in target: ${key} = ${value}`);
    else if (target.get(key) !== value) differences.push(`differs: ${key}: source ${value}, target ${target.get(key)}`);
  }
  for (const [key, value] of target) if (kept(key) && !source.has(key)) differences.push(`extra in target: ${key} = ${value}`);
  return differences.sort();
}

// As a drill's manual-step automation: dump the drill's own environment into <dir>/<version>.json.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, classes] = process.argv.slice(2);
  const { KAFKA_DRILL_BOOTSTRAP: bootstrap, KAFKA_DRILL_COMMAND_CONFIG: commandConfig, KAFKA_DRILL_KAFKA_VERSION: kafkaVersion } = process.env;
  if (!dir || !classes || !bootstrap || !commandConfig || !kafkaVersion) {
    process.stderr.write('usage: kafka-cli-dump.ts <dir> <ToolBatch classes dir>, run by a drill (KAFKA_DRILL_BOOTSTRAP, KAFKA_DRILL_COMMAND_CONFIG, KAFKA_DRILL_KAFKA_VERSION)\n');
    process.exit(2);
  }
  const dump = await dumpWithKafkaTools({ kafkaVersion, bootstrap, commandConfig }, classes);
  await writeFile(path.join(dir, `${kafkaVersion}.json`), JSON.stringify(dump, null, 2));
  process.stdout.write(`dumped Kafka ${kafkaVersion} with its own tools in ${dump.jvmMs} ms\n`);
}
