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
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => /\b(ERROR|FATAL)\b|^(Caused by: )?[\w.$]+(Exception|Error): /.test(line))
    .slice(0, count)
    .map((line) => line.trim().slice(0, 300));
}
