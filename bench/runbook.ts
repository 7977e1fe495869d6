/**
 * The per-object runbook: what a person following a recovery runbook does, one Kafka CLI tool run
 * per object. Timed for a small sample of each kind and extrapolated to the snapshot's counts:
 * the result is labelled extrapolated, never measured in full.
 */
import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { javaBinary } from '../src/runtime/java.js';
import type { Snapshot } from '../src/snapshot/schema.js';

export const RUNBOOK_KINDS = ['topics', 'acls', 'scram', 'quotas', 'groups'] as const;
type Kind = (typeof RUNBOOK_KINDS)[number];

export interface RunbookResult {
  /** How many objects of each kind were run (the sample). */
  sampled: Record<Kind, number>;
  /** Mean wall time of one CLI run per kind, in ms. */
  perObjectMs: Record<Kind, number>;
  /** Objects of each kind in the snapshot. */
  counts: Record<Kind, number>;
  /** Σ perObjectMs × counts: extrapolated, not measured. */
  extrapolatedMs: number;
  failures: string[];
}

export async function runbookSample(options: {
  libs: string;
  properties: string;
  snapshot: Snapshot;
  sample: number;
  work: string;
  kafkaVersion?: string;
}): Promise<RunbookResult> {
  const { libs, properties, snapshot, sample, work } = options;
  const bootstrap = readBootstrap(properties);
  const aclCommand = options.kafkaVersion?.startsWith('3.') ? 'kafka.admin.AclCommand' : 'org.apache.kafka.tools.AclCommand';
  const common = ['--bootstrap-server', bootstrap, '--command-config', properties];
  const existingTopic = snapshot.topics[0]!.name;
  const commands: Record<Kind, (i: number) => string[]> = {
    topics: (i) => {
      const topic = snapshot.topics[i % snapshot.topics.length]!;
      const configs = Object.entries(topic.configs).flatMap(([name, entry]) => (entry.value === undefined ? [] : ['--config', `${name}=${entry.value}`]));
      return [
        'org.apache.kafka.tools.TopicCommand',
        ...common,
        '--create',
        '--topic',
        `runbook.topic-${i}`,
        '--partitions',
        String(topic.partitions),
        '--replication-factor',
        '1',
        ...configs,
      ];
    },
    acls: (i) => [aclCommand, ...common, '--add', '--allow-principal', `User:runbook-${i}`, '--operation', 'Write', '--topic', `runbook.topic-${i}`],
    scram: (i) => {
      // The password goes through a 0600 file, never the command line.
      const file = join(work, `runbook-scram-${i}.properties`);
      // Loaded as Java properties, so the value goes without kafka-configs' [ ] grouping.
      writeFileSync(file, `SCRAM-SHA-512=iterations=8192,password=runbook-${Math.random().toString(36).slice(2)}\n`, { mode: 0o600 });
      return ['kafka.admin.ConfigCommand', ...common, '--alter', '--entity-type', 'users', '--entity-name', `runbook-user-${i}`, '--add-config-file', file];
    },
    quotas: (i) => [
      'kafka.admin.ConfigCommand',
      ...common,
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      `runbook-user-${i}`,
      '--add-config',
      'producer_byte_rate=1048576',
    ],
    groups: (i) => [
      'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
      ...common,
      '--reset-offsets',
      '--group',
      `runbook-group-${i}`,
      '--topic',
      existingTopic,
      '--to-offset',
      '0',
      '--execute',
    ],
  };
  const counts: Record<Kind, number> = {
    topics: snapshot.topics.length,
    acls: snapshot.acls.length,
    scram: snapshot.scramUsers.length,
    quotas: snapshot.quotas.length,
    groups: snapshot.consumerGroups.length,
  };
  const sampled = {} as Record<Kind, number>;
  const perObjectMs = {} as Record<Kind, number>;
  const failures: string[] = [];
  for (const kind of RUNBOOK_KINDS) {
    const times: number[] = [];
    for (let i = 0; i < sample; i++) {
      const started = performance.now();
      const run = await execa(javaBinary(), ['-Xmx256m', '-cp', `${libs}/*`, ...commands[kind](i)], { reject: false, timeout: 120_000 });
      times.push(performance.now() - started);
      if (run.exitCode !== 0) {
        // Kafka's tools echo a refused credential, password included: never let it into the results.
        const last =
          (run.timedOut
            ? 'timed out after 120 s'
            : (run.stderr || run.stdout)
                .trim()
                .split('\n')
                .filter((l) => !/ INFO /.test(l))
                .slice(-1)[0]) ?? '';
        failures.push(`${kind} #${i}: exit ${run.exitCode}: ${last.replace(/password=[^,\]\s]*/g, 'password=***')}`);
      }
    }
    sampled[kind] = times.length;
    perObjectMs[kind] = Math.round(times.reduce((a, b) => a + b, 0) / times.length);
  }
  const extrapolatedMs = RUNBOOK_KINDS.reduce((sum, kind) => sum + perObjectMs[kind] * counts[kind], 0);
  return { sampled, perObjectMs, counts, extrapolatedMs, failures };
}

function readBootstrap(propertiesFile: string): string {
  return /^bootstrap\.servers=(.*)$/m.exec(readFileSync(propertiesFile, 'utf8'))![1]!;
}
