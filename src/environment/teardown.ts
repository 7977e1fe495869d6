import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Teardown on every path out of the process.
 *
 * - Normal return and thrown errors: callers stop environments in `finally`.
 * - SIGINT/SIGTERM: the command's own handler (run, env up) stops its environments;
 *   `stopAllEnvironments` stops every live one when it must leave at once.
 * - The Node process dies without running anything (kill -9, OOM): a detached watchdog
 *   started with each environment notices the parent is gone, ends every process group the
 *   environment recorded, and removes its directory.
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

/** The JVM system property that marks every process of one environment (for people and tests reading the process list). */
export function environmentMarker(workDir: string): string {
  return `-Dkafka.drill.env=${workDir}`;
}

/**
 * The data directory of an environment's PostgreSQL. It marks the postmaster as the JVM marker
 * marks a JVM: the postmaster's command line carries it as `-D <dir>`.
 */
export function postgresDataDir(workDir: string): string {
  return join(workDir, 'postgres', 'data');
}

/** The file in an environment's directory listing its process groups, one id a line, for the watchdog. */
const PROCESS_GROUPS_FILE = 'process-groups';

/** The file in an environment's directory listing directories outside it that it owns (its brokers' memory storage), one a line. */
const OWNED_DIRECTORIES_FILE = 'owned-directories';

/** Records a directory outside the environment's own that the watchdog removes with it. Synchronous, right after it is made. */
export function recordOwnedDirectory(workDir: string, dir: string): void {
  appendFileSync(join(workDir, OWNED_DIRECTORIES_FILE), `${dir}\n`);
}

/**
 * Records a process started in its own process group (spawned detached: its pid is its group
 * id), so the watchdog can end it and everything it started. Synchronous, right after spawn,
 * so a parent killed a moment later still leaves the id behind.
 */
export function recordProcessGroup(workDir: string, pid: number | undefined): void {
  if (pid !== undefined) appendFileSync(join(workDir, PROCESS_GROUPS_FILE), `${pid}\n`);
}

// Polls the parent; when it is gone, TERM then KILL each recorded process group and remove the
// directory and the directories it recorded as its own. Shell builtins plus cat and rm only: nothing beyond what any system has, no process
// matching by pattern (so any path works, spaces and '+' included). Where /proc exists, a group
// is signalled only while its leader still carries this environment's marker (pids are reused):
// a JVM's system property, or a postmaster's data directory (its children end with it).
const WATCHDOG_SCRIPT = `
while kill -0 "$KD_PARENT" 2>/dev/null; do sleep 0.5; done
ours() {
  [ -r "/proc/$1/cmdline" ] || return 0
  case "$(cat "/proc/$1/cmdline" 2>/dev/null | tr '\\000' ' ')" in *" $KD_MARKER "*|*" -D $KD_ENV_DIR/postgres/data "*) return 0 ;; *) return 1 ;; esac
}
groups=$(cat -- "$KD_ENV_DIR/${PROCESS_GROUPS_FILE}" 2>/dev/null)
for group in $groups; do ours "$group" && kill -s TERM -- "-$group" 2>/dev/null; done
for attempt in 1 2 3 4 5 6; do
  alive=0
  for group in $groups; do kill -0 -- "-$group" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.5
done
for group in $groups; do ours "$group" && kill -s KILL -- "-$group" 2>/dev/null; done
[ "$KD_KEEP_DIR" = 1 ] && exit 0
if [ -f "$KD_ENV_DIR/${OWNED_DIRECTORIES_FILE}" ]; then
  while IFS= read -r dir; do [ -n "$dir" ] && rm -rf -- "$dir"; done < "$KD_ENV_DIR/${OWNED_DIRECTORIES_FILE}"
fi
rm -rf -- "$KD_ENV_DIR"
`;

/** Starts the watchdog for one environment; returns a function that dismisses it after a normal stop. */
export function startWatchdog(workDir: string, keepDir: boolean): () => void {
  const watchdog = spawn('sh', ['-c', WATCHDOG_SCRIPT], {
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      KD_PARENT: String(process.pid),
      KD_ENV_DIR: workDir,
      KD_MARKER: environmentMarker(workDir),
      KD_KEEP_DIR: keepDir ? '1' : '0',
    },
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

/**
 * Removes a directory tree the environment made (its work dir, its brokers' storage) with
 * `rm -rf` in a child process. Not Node's recursive fs.rm: that removes all of a directory's
 * entries at once, and the data of 15,000 partitions (75,000 files) then holds tens of thousands
 * of requests in native memory, 50–70 MB the process keeps afterwards; rmSync instead blocks the
 * event loop (signals included) for the seconds it takes. In a process group of its own, as the
 * JVMs are: a Ctrl-C during the teardown does not stop the removal.
 */
export async function removeTree(dir: string): Promise<void> {
  const rm = spawn('rm', ['-rf', '--', dir], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  rm.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-1000)));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) =>
    rm.once('error', (error) => reject(new Error(`cannot remove ${dir}: ${error.message}`))).once('close', (exit, by) => resolve([exit, by])),
  );
  if (code !== 0) throw new Error(`cannot remove ${dir}: rm -rf ${signal ? `ended by ${signal}` : `exited with ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
}
