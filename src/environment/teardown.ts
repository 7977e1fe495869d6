import { spawn } from 'node:child_process';

/**
 * Teardown on every path out of the process.
 *
 * - Normal return and thrown errors: callers stop environments in `finally`.
 * - SIGINT/SIGTERM: the command's own handler (run, env up) stops its environments;
 *   `stopAllEnvironments` stops every live one when it must leave at once.
 * - The Node process dies without running anything (kill -9, OOM): a detached watchdog
 *   started with each environment notices the parent is gone, kills every process whose
 *   command line carries the environment's marker, and removes its directory.
 */

type Stoppable = { stop(): Promise<void> };
const live = new Set<Stoppable>();

export function trackEnvironment(environment: Stoppable): () => void {
  live.add(environment);
  return () => live.delete(environment);
}

export async function stopAllEnvironments(): Promise<void> {
  await Promise.allSettled([...live].map((environment) => environment.stop()));
}

/** The JVM system property that marks every process of one environment, for the watchdog's pkill. */
export function environmentMarker(workDir: string): string {
  return `-Dkafka.drill.env=${workDir}`;
}

// Polls the parent; when it is gone, TERM then KILL the environment's processes and remove its directory.
// Paths arrive in the environment, not argv, so the watchdog never matches its own pkill pattern.
const WATCHDOG_SCRIPT = `
while kill -0 "$KD_PARENT" 2>/dev/null; do sleep 0.5; done
pkill -TERM -f -- "kafka.drill.env=$KD_ENV_DIR"
sleep 3
pkill -KILL -f -- "kafka.drill.env=$KD_ENV_DIR"
[ "$KD_KEEP_DIR" = 1 ] || rm -rf -- "$KD_ENV_DIR"
`;

/** Starts the watchdog for one environment; returns a function that dismisses it after a normal stop. */
export function startWatchdog(workDir: string, keepDir: boolean): () => void {
  const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KD_PARENT: String(process.pid), KD_ENV_DIR: workDir, KD_KEEP_DIR: keepDir ? '1' : '0' },
  });
  watchdog.unref();
  return () => {
    try {
      if (watchdog.pid) process.kill(watchdog.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
}
