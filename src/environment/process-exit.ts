import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Whether a spawned process has ended (by its own exit or a signal). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** "code 3" or "signal SIGKILL", as the OS reported the end of `child`. */
export function exitOf(child: ChildProcess): string {
  return child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
}

/** Log lines kept of a process that ended on its own: enough for the exception that ended it. */
export const EXIT_LOG_LINES = 12;

/** The last `lines` lines of a log file ('' when it cannot be read). */
export async function logTail(file: string, lines = 40): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * The first ERROR or FATAL lines of a log and the exceptions under them: why a JVM gave up, which
 * its last lines (the shutdown that followed) no longer say. At most `count` lines, each cut at 300 characters.
 */
export async function firstErrors(file: string, count = 3): Promise<string[]> {
  const lines = errorLines(await readFile(file, 'utf8').catch(() => ''));
  // A port taken between our check and the JVM's bind is told by a line further down: always keep it.
  const portTaken = lines.find((line) => line.includes('Address already in use'));
  const first = lines.slice(0, count);
  return (portTaken && !first.includes(portTaken) ? [...first, portTaken] : first).map((line) => line.slice(0, 300));
}

/** The lines of a JVM's log that say something went wrong: ERROR, FATAL, an exception or error thrown, the JVM giving up. */
export function errorLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /\b(ERROR|FATAL)\b|^(Caused by: )?[\w.$]+(Exception|Error)(: |$)|^Terminating due to /.test(line.trim()))
    .map((line) => line.trim());
}
