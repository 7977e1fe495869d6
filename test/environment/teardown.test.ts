import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { alive, processGroupOf, waitFor } from '../support/kafka.js';
import { tempDir } from '../support/temp.js';
import { CLI } from '../cli/run-cli.js';

const tsx = ['--import', 'tsx'];

function firstJsonLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code} before it was ready: ${stderr}`)));
  });
}

function which(tool: string): string {
  const dir = (process.env.PATH ?? '').split(':').find((candidate) => candidate && existsSync(join(candidate, tool)));
  if (!dir) throw new Error(`${tool} not on PATH`);
  return join(dir, tool);
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('teardown when the process that started an environment goes away', () => {
  it('SIGKILL of the parent: the watchdog kills its JVMs and removes its directory and its data in memory', async () => {
    const child = spawn(process.execPath, [...tsx, 'test/support/start-env-child.ts'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KAFKA_DRILL_TEST_STORAGE: 'memory' },
    });
    const { pids, workDir, storage } = (await firstJsonLine(child)) as { pids: number[]; workDir: string; storage: unknown };
    expect(pids.length).toBe(1);
    expect(pids.every(alive)).toBe(true);
    expect(existsSync(workDir)).toBe(true);
    expect(storage).toEqual({ kind: 'memory' });
    const memoryDirs = readFileSync(join(workDir, 'owned-directories'), 'utf8').trim().split('\n');
    expect(memoryDirs).toEqual([expect.stringMatching(/^\/dev\/shm\/kafka-drill-data-[0-9a-f]{12}$/)]);
    expect(existsSync(memoryDirs[0]!)).toBe(true);

    child.kill('SIGKILL');
    await waitFor(() => pids.every((pid) => !alive(pid)) && !existsSync(workDir), 20_000, 'the orphaned JVM to die and its directory to go');
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
    expect(existsSync(memoryDirs[0]!)).toBe(false);
  });

  it('Ctrl-C to the parent\'s process group, "+" and a space in TMPDIR, no procps on PATH: the brokers were not in that group, the watchdog ends them', async () => {
    const tmp = tempDir('tmp + dir');
    // Only what the watchdog may use (sh, cat, tr, sleep, rm) and java: no pkill, no ps.
    const bin = tempDir('bin');
    for (const tool of ['sh', 'cat', 'tr', 'sleep', 'rm', 'java']) symlinkSync(realpathSync(which(tool)), join(bin, tool));
    const child = spawn(process.execPath, [...tsx, 'test/support/start-env-child.ts'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: tmp, PATH: bin },
      detached: true,
    });
    const { pids, workDir } = (await firstJsonLine(child)) as { pids: number[]; workDir: string };
    expect(workDir.startsWith(join(tmp, 'kafka-drill-env-'))).toBe(true);
    expect(pids.every(alive)).toBe(true);
    for (const pid of pids) expect([processGroupOf(pid), processGroupOf(pid) === processGroupOf(child.pid!)]).toEqual([pid, false]);

    const exited = exitOf(child);
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    await waitFor(() => pids.every((pid) => !alive(pid)) && !existsSync(workDir), 20_000, 'the orphaned JVM to die and its directory to go');
    expect(pids.filter(alive)).toEqual([]);
  });

  it('SIGINT to "env up": it tears the environment down and exits 0', async () => {
    const child = spawn(CLI[0], [CLI[1], 'env', 'up', '--security', 'scram', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const description = (await firstJsonLine(child)) as { brokers: { pid: number }[]; workDir: string; sasl: Record<string, string>; bootstrap: string };
    const pids = description.brokers.map((broker) => broker.pid);
    expect(pids.every(alive)).toBe(true);
    expect(description.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(description.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'kafka-drill-admin' });

    const exited = exitOf(child);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(description.workDir)).toBe(false);
  });
});
