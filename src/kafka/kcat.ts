import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaConnection } from './connection.js';

/**
 * Debian's kcat: the librdkafka client class of the client matrix. Every invocation gets its
 * connection settings from a `-F` config file (0600, in a 0700 directory of its own under the
 * drill's work directory, removed afterwards), so no password is ever on a command line.
 */
export interface KcatVersion {
  kcat: string;
  librdkafka: string;
}

let version: Promise<KcatVersion> | undefined;

/** kcat's and its librdkafka's versions, from `kcat -V`; rejects when kcat is not installed. */
export function kcatVersion(): Promise<KcatVersion> {
  version ??= (async () => {
    const { stdout } = await execa('kcat', ['-V']).catch(() => {
      version = undefined;
      throw new Error('kcat is not installed (apt-get install kcat): the librdkafka client class needs it');
    });
    const match = /Version (\S+) .*librdkafka (\d+\.\d+\.\d+)/.exec(stdout);
    return { kcat: match?.[1] ?? 'unknown', librdkafka: match?.[2] ?? 'unknown' };
  })();
  return version;
}

export interface KcatRun {
  exitCode: number | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * The librdkafka properties for a connection: SASL/SCRAM when it has credentials, TLS when it
 * has a CA (the PEM files in `dir`, beside the properties, 0600), a client certificate in mtls.
 */
async function writeConfig(connection: KafkaConnection, dir: string): Promise<string> {
  const lines = ['client.id=kafka-drill-kcat-probe'];
  const { sasl, tls } = connection;
  lines.push(`security.protocol=${sasl ? 'SASL_' : ''}${tls ? 'SSL' : 'PLAINTEXT'}`);
  if (sasl) {
    for (const value of [sasl.username, sasl.password]) if (/[\r\n]/.test(value)) throw new Error('a user name or password with a line break cannot be passed to kcat');
    lines.push(`sasl.mechanisms=${sasl.mechanism}`, `sasl.username=${sasl.username}`, `sasl.password=${sasl.password}`);
  }
  const pem = async (name: string, text: string) => {
    const file = join(dir, name);
    await writeFile(file, text, { mode: 0o600 });
    return file;
  };
  if (tls?.ca) lines.push(`ssl.ca.location=${await pem('ca.pem', tls.ca)}`);
  if (tls?.cert && tls.key) lines.push(`ssl.certificate.location=${await pem('client.pem', tls.cert)}`, `ssl.key.location=${await pem('client.key', tls.key)}`);
  const config = join(dir, 'kcat.conf');
  await writeFile(config, lines.join('\n') + '\n', { mode: 0o600 });
  return config;
}

/** Runs kcat once with `args` as `connection`, never throwing for kcat's own failure; bounded by timeoutMs. */
export async function runKcat(
  connection: KafkaConnection,
  args: string[],
  options: { input?: string; timeoutMs: number; workDir?: string | undefined; signal?: AbortSignal },
): Promise<KcatRun> {
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'kcat-'));
  const started = performance.now();
  try {
    const config = await writeConfig(connection, dir);
    const result = await execa('kcat', ['-F', config, '-b', connection.bootstrap.join(','), ...args], {
      reject: false,
      timeout: options.timeoutMs,
      input: options.input ?? '',
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    return {
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      stdout: result.stdout,
      stderr: result.stderr.replaceAll(config, 'kcat.conf').replaceAll(dir, '<kcat dir>'),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * librdkafka's error strings (rd_kafka_err2str: "Broker: " + Kafka's description) → Kafka's
 * error names. kcat offers no other channel than its text, so this fixed table is the one place
 * where text becomes a typed error; anything else stays unnamed, with the text as evidence.
 * A broker's answer comes first: it proves a login on the connection that carried the request.
 */
const LIBRDKAFKA_ERRORS: [string, string][] = [
  ['Broker: Topic authorization failed', 'TOPIC_AUTHORIZATION_FAILED'],
  ['Broker: Group authorization failed', 'GROUP_AUTHORIZATION_FAILED'],
  ['Broker: Cluster authorization failed', 'CLUSTER_AUTHORIZATION_FAILED'],
  ['Broker: Unknown topic or partition', 'UNKNOWN_TOPIC_OR_PARTITION'],
  ['SASL authentication error', 'SASL_AUTHENTICATION_FAILED'],
  ['Local: Authentication failure', 'SASL_AUTHENTICATION_FAILED'],
];

/**
 * The Kafka error a kcat run reports, and the line that says so. A login failure is the run's
 * answer only when nothing else answered: librdkafka connects to every broker, so a run that
 * exited 0, or that got a broker's answer, went through on another connection.
 */
export function kcatError(run: Pick<KcatRun, 'stdout' | 'stderr'> & { exitCode?: number | undefined }): { kafkaError?: string; line?: string } {
  const lines = `${run.stderr}\n${run.stdout}`.split('\n');
  for (const [text, kafkaError] of LIBRDKAFKA_ERRORS) {
    if (kafkaError === 'SASL_AUTHENTICATION_FAILED' && run.exitCode === 0) continue;
    const line = lines.find((candidate) => candidate.includes(text));
    if (line) return { kafkaError, line: withoutLogPrefix(line) };
  }
  const line = lines.find((candidate) => /ERROR|FAIL|error/.test(candidate));
  return line ? { line: withoutLogPrefix(line) } : {};
}

/** "%3|1796050514.555|FAIL|rdkafka#producer-1| [thrd:...]: text" → "text". */
function withoutLogPrefix(line: string): string {
  return line.replace(/^%\d\|[^|]*\|[^|]*\|[^|]*\|\s*\[thrd:[^\]]*\]:\s*/, '').trim();
}

/** kcat's JSON envelope of one consumed record (`-J`). */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  ts: number;
  key?: string | null;
  payload?: string | null;
  headers?: string[];
}

export function parseKcatRecords(stdout: string): KcatRecord[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as KcatRecord);
}
