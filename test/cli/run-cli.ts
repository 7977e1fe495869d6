import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/require.js';

/** The built CLI, as the package's `kafka-drill` bin runs it: no loader, so an import problem vitest's own loader hides fails here. */
export const CLI = [process.execPath, path.join(repoRoot, 'dist/cli/main.js')] as const;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds until the process ended. */
  ms: number;
  /** The process's peak resident memory in MiB (from /usr/bin/time), when asked for. */
  peakMiB?: number;
}

/**
 * Runs the CLI as a user would: the built `kafka-drill` (dist/, which the suite's global setup
 * builds) in a plain node process; a process that outlives `timeoutMs` is killed, so a hang fails
 * the test instead of stalling it. With `measureMemory` it runs under /usr/bin/time to report its
 * peak resident memory.
 */
export function cli(args: string[], options: { timeoutMs?: number; measureMemory?: boolean } = {}): Promise<CliRun> {
  const command = [...CLI, ...args];
  const timeFile = path.join(tmpdir(), `kafka-drill-cli-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [file, ...argv] = options.measureMemory ? ['/usr/bin/time', '-f', '%M', '-o', timeFile, ...command] : command;
  const started = Date.now();
  const child = spawn(file!, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const run: CliRun = { code, stdout, stderr, ms: Date.now() - started };
      if (options.measureMemory) {
        // The last line: time prints "Command exited with non-zero status N" first when it did.
        run.peakMiB = Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) / 1024;
        rmSync(timeFile, { force: true });
      }
      resolve(run);
    });
  });
}
