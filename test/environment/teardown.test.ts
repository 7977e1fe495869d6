import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { alive, waitFor } from '../support/kafka.js';

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

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('teardown when the process that started an environment goes away', () => {
  it('SIGKILL of the parent: the watchdog kills its JVMs and removes its directory', async () => {
    const child = spawn(process.execPath, [...tsx, 'test/support/start-env-child.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const { pids, workDir } = (await firstJsonLine(child)) as { pids: number[]; workDir: string };
    expect(pids.length).toBe(1);
    expect(pids.every(alive)).toBe(true);
    expect(existsSync(workDir)).toBe(true);

    child.kill('SIGKILL');
    await waitFor(() => pids.every((pid) => !alive(pid)) && !existsSync(workDir), 20_000, 'the orphaned JVM to die and its directory to go');
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
  });

  it('SIGINT to "env up": it tears the environment down and exits 0', async () => {
    const child = spawn(process.execPath, [...tsx, 'src/cli/main.ts', 'env', 'up', '--security', 'scram', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
