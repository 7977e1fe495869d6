import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, resolveDistribution } from '../runtime/distribution.js';
import { javaBinary } from '../runtime/java.js';
import type { KafkaConnection, SaslMechanism } from './connection.js';

/**
 * Kafka's own Java client as a client class of the client matrix: ProbeRunner.java, compiled
 * once per Kafka version against that version's cached jars, runs a whole batch of tasks in ONE
 * JVM (never a JVM per object). The job file holds the credentials: it is written 0600 into a
 * 0700 directory of its own (under the drill's work directory) and removed afterwards.
 */
const RUNNERS = join(import.meta.dirname, 'java-runner');

export type JavaTask =
  | { kind: 'produce-consume'; user: string; topic: string; records: number; marker: string }
  | { kind: 'access'; user: string; operation: string; resourceType: string; name: string; marker: string }
  | { kind: 'first-records'; user: string; group: string; topics: string[]; partitions: string[] }
  | { kind: 'transaction'; user: string; transactionalId: string; topic?: string; marker: string };

export interface JavaTaskResult {
  ok: boolean;
  kafkaError?: string;
  message?: string;
  durationMs: number;
  received?: number;
  wrong?: number;
  partitions?: number;
  producedMs?: number;
  /** transaction: the steps that went through, and the one that failed. */
  done?: string[];
  step?: string;
  records?: { topic: string; partition: number; offset: number; timestamp: number; key?: string; value?: string; sourceOffset?: string }[];
}

export interface JavaBatch {
  clientVersion: string;
  results: JavaTaskResult[];
  /** Wall time of the one JVM, start to exit. */
  jvmMs: number;
  /** Time spent compiling the runner (0 when the cached classes were used). */
  compileMs: number;
}

const compiled = new Map<string, Promise<{ classes: string; compileMs: number }>>();

/**
 * A runner's classes (java-runner/<mainClass>.java, with the runners it `uses`) for a Kafka version,
 * compiled on first use into the cache (keyed by the sources' digest); `libs`: more jar directories.
 */
export function compileRunner(kafkaVersion: string, mainClass = 'ProbeRunner', more: { uses?: string[]; libs?: string[] } = {}): Promise<{ classes: string; compileMs: number }> {
  const key = `${kafkaVersion}/${mainClass}`;
  const sourceFile = join(RUNNERS, `${mainClass}.java`);
  const sourceFiles = [sourceFile, ...(more.uses ?? []).map((name) => join(RUNNERS, `${name}.java`))];
  let pending = compiled.get(key);
  if (!pending) {
    pending = (async () => {
      const distribution = await resolveDistribution(kafkaVersion);
      const hash = createHash('sha256');
      for (const file of sourceFiles) hash.update(await readFile(file));
      const digest = hash.digest('hex').slice(0, 12);
      const classes = join(cacheRoot(), 'java-probe-runner', `${kafkaVersion}-${digest}`);
      if (existsSync(join(classes, `${mainClass}.class`))) return { classes, compileMs: 0 };
      const started = performance.now();
      const staging = `${classes}.${process.pid}.tmp`;
      await mkdir(staging, { recursive: true });
      const javac = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'javac') : 'javac';
      const classpath = [distribution.libsDir, ...(more.libs ?? [])].map((dir) => `${dir}/*`).join(':');
      await execa(javac, ['-nowarn', '-d', staging, '-cp', classpath, ...sourceFiles]);
      await rename(staging, classes).catch(async (error: NodeJS.ErrnoException) => {
        // Another process compiled it first: theirs is the same source.
        await rm(staging, { recursive: true, force: true });
        if (!existsSync(join(classes, `${mainClass}.class`))) throw error;
      });
      return { classes, compileMs: Math.round(performance.now() - started) };
    })();
    pending.catch(() => compiled.delete(key));
    compiled.set(key, pending);
  }
  return pending;
}

/** How the Java client logs in as one user: SCRAM (over TLS in sasl_ssl), a client certificate (mtls), or neither. */
export interface JavaUser {
  /** The name tasks give as their user: the principal without "User:". */
  name: string;
  sasl?: { mechanism: SaslMechanism; password: string };
  /** PEM certificate chain and PKCS#8 key. */
  certificate?: { chain: string; key: string };
}

/** Runs every task in one JVM with kafka-clients of `kafkaVersion`; results in task order. */
export async function runJavaTasks(
  kafkaVersion: string,
  connection: KafkaConnection,
  users: JavaUser[],
  tasks: JavaTask[],
  options: { timeoutMs: number; consumeTimeoutMs: number; requestTimeoutMs: number; sourceOffsetHeader: string; workDir?: string | undefined; signal?: AbortSignal },
): Promise<JavaBatch> {
  const { classes, compileMs } = await compileRunner(kafkaVersion);
  const distribution = await resolveDistribution(kafkaVersion);
  const { result, jvmMs } = await runJavaJob<{ clientVersion: string; results: JavaTaskResult[] }>(
    'ProbeRunner',
    [`${distribution.libsDir}/*`, classes],
    () => ({
      bootstrap: connection.bootstrap.join(','),
      requestTimeoutMs: options.requestTimeoutMs,
      consumeTimeoutMs: options.consumeTimeoutMs,
      sourceOffsetHeader: options.sourceOffsetHeader,
      ...jobLogins(connection, users),
      tasks,
    }),
    options,
  );
  return { ...result, jvmMs, compileMs };
}

/**
 * Runs a runner's main class in one JVM on a job file it writes (0600, in a 0700 directory of its
 * own under `workDir`, removed afterwards; `job` gets that directory for the runner's own files)
 * and returns the runner's result file, parsed.
 */
export async function runJavaJob<T>(
  mainClass: string,
  classpath: string[],
  job: (dir: string) => object,
  options: { timeoutMs: number; workDir?: string | undefined; signal?: AbortSignal },
): Promise<{ result: T; jvmMs: number }> {
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'java-probe-'));
  try {
    const jobFile = join(dir, 'job.json');
    const out = join(dir, 'result.json');
    await writeFile(jobFile, JSON.stringify(job(dir)), { mode: 0o600 });
    const started = performance.now();
    const run = await execa(javaBinary(), ['-Xmx256m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=off', '-cp', classpath.join(':'), mainClass, jobFile, out], {
      reject: false,
      timeout: options.timeoutMs,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    const jvmMs = Math.round(performance.now() - started);
    if (run.exitCode !== 0 || !existsSync(out)) {
      const why = run.timedOut ? `timed out after ${options.timeoutMs}ms` : `exit ${run.exitCode ?? run.signal}: ${run.stderr.split('\n').slice(-3).join(' ')}`;
      throw new Error(`the Java ${mainClass} failed: ${why}`);
    }
    return { result: JSON.parse(await readFile(out, 'utf8')) as T, jvmMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** How a Java runner's job file says how to reach the cluster and log in as each user (ProbeRunner.common reads it). */
export function jobLogins(connection: KafkaConnection, users: JavaUser[]) {
  return {
    // The job file is 0600 in a directory removed after the run: passwords and keys never reach a command line.
    ...(connection.tls ? { tls: true, ...(connection.tls.ca ? { ca: connection.tls.ca } : {}) } : {}),
    users: Object.fromEntries(
      users.map((user) => [user.name, { ...(user.sasl ?? {}), ...(user.certificate ? { certificateChain: user.certificate.chain, privateKey: user.certificate.key } : {}) }]),
    ),
  };
}

/** A connection's login as a Java runner user named `name`. */
export function javaUserOf(name: string, connection: KafkaConnection): JavaUser {
  const { sasl, tls } = connection;
  return {
    name,
    ...(sasl ? { sasl: { mechanism: sasl.mechanism, password: sasl.password } } : {}),
    ...(tls?.cert && tls.key ? { certificate: { chain: tls.cert, key: tls.key } } : {}),
  };
}
