import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { executable } from './require.js';

/**
 * A throwaway PostgreSQL (Debian's server binaries) on a loopback port of its own, in a temp
 * directory, trust authentication on 127.0.0.1 only. PostgreSQL refuses to run as root: as root
 * it runs as the `postgres` system user (runuser).
 */
export const POSTGRES_BIN = process.env.KAFKA_DRILL_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
export const postgresInstalled = executable(join(POSTGRES_BIN, 'pg_ctl'));

export interface StartedPostgres {
  port: number;
  /** postgresql:// URL for psql. */
  url: string;
  /** jdbc:postgresql:// URL for a JDBC sink. */
  jdbcUrl: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startPostgres(): Promise<StartedPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-drill-postgres-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asUser = process.getuid?.() === 0 ? (args: string[]) => ['runuser', ['-u', 'postgres', '--', ...args]] as const : (args: string[]) => [args[0]!, args.slice(1)] as const;
  const run = (args: string[]) => {
    const [command, rest] = asUser(args);
    return execa(command, [...rest], { all: true });
  };
  const port = await freePort();
  await run([join(POSTGRES_BIN, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  await run([
    join(POSTGRES_BIN, 'pg_ctl'),
    '-D',
    data,
    '-l',
    join(dir, 'postgres.log'),
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c dynamic_shared_memory_type=mmap`,
    'start',
  ]);
  let stopped = false;
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    jdbcUrl: `jdbc:postgresql://127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await run([join(POSTGRES_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of a one-column query, via psql. */
export async function psqlLines(url: string, query: string): Promise<string[]> {
  const result = await execa('psql', [url, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', query]);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** Processes whose command line has `dataDir` as an argument: a postmaster started on it. */
export function processesOn(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(dataDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}
