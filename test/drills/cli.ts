/**
 * Runs `kafka-drill run` as a user would: the built CLI in a separate node process, so
 * ESM/CommonJS import problems that vitest's own loader hides fail here too.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { parseResult, type Result } from '../../src/model/result.js';
import { repoRoot } from '../support/require.js';
import { CLI } from '../cli/run-cli.js';

export interface CliRun {
  child: ChildProcess;
  /** Settles when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Resolves when stdout has printed text matching `pattern`. */
  stdoutMatches(pattern: RegExp): Promise<void>;
}

export function startRun(spec: string, out: string, env: NodeJS.ProcessEnv = process.env, extraArgs: string[] = []): CliRun {
  const [node, main] = CLI;
  const child = spawn(node, [main, 'run', spec, '--out', out, ...extraArgs], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters.filter((w) => w.pattern.test(stdout))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    exited,
    stdoutMatches: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stdout)) return resolve();
        waiters.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`the run exited before stdout matched ${pattern}:\n${stdout}\n${stderr}`)));
      }),
  };
}

export async function runToEnd(spec: string, out: string, env?: NodeJS.ProcessEnv) {
  return startRun(spec, out, env).exited;
}

/** result.json, validated against the result schema, and the reports rendered from it. */
export function readEvidence(out: string): Result {
  for (const file of ['result.json', 'report.html', 'junit.xml', 'summary.md', 'manifest.json']) {
    expect(existsSync(path.join(out, file)), `${file} in ${out}`).toBe(true);
  }
  const file = path.join(out, 'result.json');
  return parseResult(readFileSync(file, 'utf8'), file);
}

/**
 * JVMs whose command line carries the environment marker: children of `parent`, or of one
 * environment's work dir. Only java: the watchdog's shell script holds the marker's text too.
 */
export function markedJvms(options: { parent: number } | { workDir: string }): number[] {
  const args = 'parent' in options ? ['-P', String(options.parent), '-f', 'kafka.drill.env='] : ['-f', `kafka.drill.env=${options.workDir}`];
  let pids: number[];
  try {
    pids = execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java';
    } catch {
      return false; // exited since pgrep listed it
    }
  });
}

export function markerOf(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000');
  return argv.find((arg) => arg.startsWith('-Dkafka.drill.env='))!.slice('-Dkafka.drill.env='.length);
}
