import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it as plainIt } from 'vitest';
import { psql, psqlArgs, psqlTargetFor, startPostgres } from '../../../src/environment/connect/postgres.js';
import { startEnvironment } from '../../../src/environment/start.js';
import type { StartedEnvironment } from '../../../src/environment/types.js';
import { drillSpecSchema } from '../../../src/drill-spec/schema.js';
import { alive, waitFor } from '../../support/kafka.js';
import { postgresInstalled, processesOn } from '../../support/postgres.js';
import { itWith } from '../../support/require.js';
import { tempDir } from '../../support/temp.js';

/** The drill's own PostgreSQL (target.postgres): started with the environment, gone with it on every path out. */
const it = itWith(postgresInstalled);

/** Pids of the processes whose parent is `pid` (a postmaster's checkpointer, walwriter, backends…). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function firstJsonLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code} before it was ready: ${stderr}`)));
  });
}

describe('the environment PostgreSQL', () => {
  let environment: StartedEnvironment | undefined;
  afterAll(() => environment?.stop());

  it('starts with the environment: password login on 127.0.0.1, its own database; stop() ends every one of its processes and removes its directory', async () => {
    environment = await startEnvironment('process', { kafkaVersion: '4.3.1', brokers: 1, security: 'plaintext', heapMb: 256, postgres: true });
    const postgres = environment.postgres!;
    expect(postgres).toMatchObject({ host: '127.0.0.1', database: 'kafka_drill', user: 'kafka_drill' });
    expect(postgres.jdbcUrl).toBe(`jdbc:postgresql://127.0.0.1:${postgres.port}/kafka_drill`);
    expect(postgres.url).toBe(`postgresql://kafka_drill@127.0.0.1:${postgres.port}/kafka_drill`);
    expect(postgres.password).toMatch(/^[0-9a-f]{36}$/);
    expect(postgres.dataDir.startsWith(`${environment.workDir}/`)).toBe(true);
    expect(statSync(postgres.passFile).mode & 0o777).toBe(0o600);

    const answer = await psql({ url: postgres.url, passFile: postgres.passFile }, "SELECT current_database() || ' ' || current_user || ' ' || current_setting('listen_addresses')");
    expect([answer.exitCode, answer.stdout.trim()]).toEqual([0, 'kafka_drill kafka_drill 127.0.0.1']);
    // Its shared memory segments are files in its data directory, gone with it: a posix segment in /dev/shm outlives a killed server.
    const sharedMemory = await psql({ url: postgres.url, passFile: postgres.passFile }, "SELECT current_setting('dynamic_shared_memory_type')");
    expect(sharedMemory.stdout.trim()).toBe('mmap');
    // Without the password (no passfile) and with a wrong one, the server refuses the login.
    const wrongPassFile = `${tempDir('pgpass')}/wrong`;
    await import('node:fs/promises').then((fs) => fs.writeFile(wrongPassFile, `*:*:*:kafka_drill:not-the-password\n`, { mode: 0o600 }));
    for (const target of [
      { url: postgres.url, passFile: '/nonexistent' },
      { url: postgres.url, passFile: wrongPassFile },
    ]) {
      const refused = await psql(target, 'SELECT 1');
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toMatch(/password/);
    }

    const children = childrenOf(postgres.pid);
    expect(children.length).toBeGreaterThan(0);
    expect(processesOn(postgres.dataDir)).toEqual([postgres.pid]);
    await environment.stop();
    expect([postgres.pid, ...children].filter(alive)).toEqual([]);
    expect(processesOn(postgres.dataDir)).toEqual([]);
    expect(existsSync(environment.workDir)).toBe(false);
  }, 180_000);

  it('SIGKILL of the process that started it: the watchdog ends the postmaster and its children and removes the data directory', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/start-env-child.ts'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KAFKA_DRILL_TEST_POSTGRES: '1' },
    });
    const { workDir, postgres } = (await firstJsonLine(child)) as { workDir: string; postgres: { pid: number; dataDir: string } };
    const children = childrenOf(postgres.pid);
    expect(children.length).toBeGreaterThan(0);
    expect(processesOn(postgres.dataDir)).toEqual([postgres.pid]);

    child.kill('SIGKILL');
    await waitFor(() => [postgres.pid, ...children].every((pid) => !alive(pid)) && !existsSync(workDir), 30_000, 'the orphaned postmaster to end and its directory to go');
    expect(processesOn(postgres.dataDir)).toEqual([]);
    expect(existsSync(postgres.dataDir)).toBe(false);
  }, 180_000);
});

describe("the caller's PG* variables", () => {
  const hostile = { PGPASSWORD: 'not-the-password', PGSSLMODE: 'require', PGUSER: 'nobody', PGDATABASE: 'nowhere', PGPORT: '1', PGDATA: '/nonexistent' };
  it("a CI job's PGPASSWORD, PGSSLMODE, PGUSER, PGPORT, PGDATA reach neither the server's start nor psql", async () => {
    const saved = Object.fromEntries(Object.keys(hostile).map((name) => [name, process.env[name]]));
    Object.assign(process.env, hostile);
    let running: Awaited<ReturnType<typeof startPostgres>> | undefined;
    try {
      // The start itself logs in with psql (CREATE DATABASE): PGSSLMODE=require or PGPASSWORD would keep it from ever succeeding.
      running = await startPostgres(tempDir('pg-env'), { timeoutMs: 30_000 });
      const answer = await psql({ url: running.facts.url, passFile: running.facts.passFile }, "SELECT current_user || ' ' || current_database()");
      expect([answer.exitCode, answer.stdout.trim(), answer.stderr]).toEqual([0, 'kafka_drill kafka_drill', '']);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await running?.stop();
    }
  }, 90_000);
});

describe('psql gets no password on its command line', () => {
  plainIt("a URL's password (userinfo or query parameter) goes to a 0600 passfile; the arguments never hold it", async () => {
    const dir = tempDir('psql');
    for (const url of ['postgresql://app:s3cr%3At@db.example:5432/app', 'postgresql://app@db.example:5432/app?password=s3cr%3At&sslmode=disable']) {
      const { target, dispose } = await psqlTargetFor(url, dir);
      const args = psqlArgs(target, 'SELECT 1');
      expect(args.join(' ')).not.toContain('s3cr');
      expect(target.url).toMatch(/^postgresql:\/\/app@db\.example:5432\/app(\?sslmode=disable)?$/);
      expect(statSync(target.passFile!).mode & 0o777).toBe(0o600);
      expect(readFileSync(target.passFile!, 'utf8')).toBe('*:*:*:app:s3cr\\:t\n');
      await dispose();
      expect(existsSync(target.passFile!)).toBe(false);
    }
  });
});

describe('spec: target.postgres', () => {
  const base = { snapshot: 's.json' };
  plainIt('is refused with provider docker or external', () => {
    for (const target of [
      { provider: 'docker', postgres: true },
      { provider: 'external', postgres: true, bootstrap: 'h:9092', clusterId: 'x', cleanup: 'keep' },
    ]) {
      const parsed = drillSpecSchema.safeParse({ ...base, target });
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([['target.postgres', expect.stringContaining('only with provider "process"')]]);
    }
    expect(drillSpecSchema.safeParse({ ...base, target: { postgres: true } }).success).toBe(true);
  });

  plainIt("a probe's postgres store without a url needs target.postgres", () => {
    const probe = { type: 'connector-idempotency', name: 'p', connector: 'jdbc', store: { postgres: { table: 'orders', key: ['id'] } } };
    const without = drillSpecSchema.safeParse({ ...base, probes: [probe] });
    expect(without.error!.issues.map((issue) => issue.path.join('.'))).toEqual(['probes.0.store.postgres.url']);
    expect(drillSpecSchema.safeParse({ ...base, target: { postgres: true }, probes: [probe] }).success).toBe(true);
  });
});
