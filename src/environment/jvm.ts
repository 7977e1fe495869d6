import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaDistribution } from '../runtime/distribution.js';
import { javaBinary } from '../runtime/java.js';
import { hasExited } from './process-exit.js';
import { environmentMarker, recordProcessGroup } from './teardown.js';

/** The arguments every JVM of a local environment starts with: heap, marker, Kafka's jars. */
export function jvmArgs(distribution: KafkaDistribution, workDir: string, heapMb: number): string[] {
  return [
    `-Xmx${heapMb}m`,
    '-Xms64m',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    // Kafka's authorizer logs each DENIED decision at INFO (allowed ones at DEBUG); the drill reads them from the broker's log.
    '-Dorg.slf4j.simpleLogger.log.kafka.authorizer.logger=info',
    environmentMarker(workDir),
    '-cp',
    join(distribution.libsDir, '*'),
  ];
}

/**
 * The command that starts a JVM with `args`: with `openFiles`, through sh, which sets the soft
 * open-file limit and execs java (same pid); -XX:-MaxFDLimit keeps HotSpot from changing it again
 * (on Linux it raises the soft limit to the hard one, on macOS it caps it at 10,240).
 */
function jvmCommand(args: string[], openFiles?: number): [string, string[]] {
  if (openFiles === undefined) return [javaBinary(), args];
  return ['sh', ['-c', 'ulimit -S -n "$1" && shift && exec "$@"', 'kafka-drill-jvm', String(openFiles), javaBinary(), '-XX:-MaxFDLimit', ...args]];
}

/** Starts a Kafka main class (broker, Connect worker) with its output appended to `logFile`; `openFiles` sets its soft open-file limit. */
export function spawnJvm(
  distribution: KafkaDistribution,
  workDir: string,
  heapMb: number,
  mainArgs: string[],
  logFile: string,
  jvmOptions: string[] = [],
  openFiles?: number,
): ChildProcess {
  const log = openSync(logFile, 'a');
  try {
    const [command, args] = jvmCommand([...jvmArgs(distribution, workDir, heapMb), ...jvmOptions, ...mainArgs], openFiles);
    // detached: its own process group, out of reach of the terminal's Ctrl-C; the environment's stop and the watchdog end it.
    const jvm = spawn(command, args, { stdio: ['ignore', log, log], detached: true });
    recordProcessGroup(workDir, jvm.pid);
    jvm.on('error', () => {});
    return jvm;
  } finally {
    closeSync(log);
  }
}

/** Signals the JVM's whole process group (its pid is the group id). */
function signalGroup(jvm: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (jvm.pid !== undefined) process.kill(-jvm.pid, signal);
  } catch {
    // the group is gone already
  }
}

export async function stopJvm(jvm: ChildProcess): Promise<void> {
  if (hasExited(jvm)) return;
  const gone = new Promise<void>((resolve) => jvm.once('exit', () => resolve()));
  // The environment is disposable: a second for a clean exit, then kill. A 3-broker controlled
  // shutdown would otherwise cost ~5 s per drill for nothing.
  signalGroup(jvm, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(jvm, 'SIGKILL'), 1_000);
  await gone;
  clearTimeout(timer);
}
