import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { InfrastructureError } from '../../errors.js';
import { EXIT_LOG_LINES, exitOf, hasExited, logTail } from '../process-exit.js';
import { freePorts } from '../ports.js';
import { postgresDataDir, recordProcessGroup } from '../teardown.js';

/**
 * The PostgreSQL a drill owns (`target.postgres`): a restored JDBC sink writes here, never to the
 * database its captured `connection.url` names. Debian's server binaries, one postmaster in the
 * environment's work dir (`<workDir>/postgres`), listening on 127.0.0.1 at a free port and on a
 * unix socket in that directory, password authentication (scram-sha-256) with a password made
 * for this environment. It is part of the environment: stopped and removed with it, and the
 * environment's watchdog ends it if kafka-drill is killed (its data directory marks it).
 *
 * PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user
 * (setpriv, which execs: the pid we record is the postmaster's own), and the work dir is opened
 * to that user's group only (0710) so it can reach its directory.
 */
export const POSTGRES_BIN = process.env.KAFKA_DRILL_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
const SYSTEM_USER = 'postgres';
/** The drill's database and its owner (a superuser of this throwaway cluster). */
const DATABASE = 'kafka_drill';
const USER = 'kafka_drill';
const PORT_ATTEMPTS = 3;

/** What the environment tells the restore and the probes about its PostgreSQL. */
export interface DrillPostgres {
  host: '127.0.0.1';
  port: number;
  database: string;
  user: string;
  /** Generated for this environment; masked wherever the drill writes text. */
  password: string;
  /** jdbc:postgresql://127.0.0.1:PORT/DB, for a JDBC sink's connection.url. */
  jdbcUrl: string;
  /** postgresql://USER@127.0.0.1:PORT/DB, without the password (psql reads it from `passFile`). */
  url: string;
  /** A 0600 PGPASSFILE in the work dir holding the password. */
  passFile: string;
  dataDir: string;
  logFile: string;
  /** The postmaster's pid (its own process group). */
  pid: number;
}

/** Placeholder values a drill spec's connector settings may use (`${drill.postgres.jdbcUrl}`). */
export function postgresPlaceholders(postgres: DrillPostgres): Record<string, string> {
  return {
    'drill.postgres.jdbcUrl': postgres.jdbcUrl,
    'drill.postgres.user': postgres.user,
    'drill.postgres.password': postgres.password,
  };
}

export interface RunningPostgres {
  facts: DrillPostgres;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Whether this machine has the PostgreSQL server binaries `target.postgres` needs. */
export function postgresAvailable(): boolean {
  try {
    for (const program of ['initdb', 'postgres']) accessSync(join(POSTGRES_BIN, program), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** initdb, start the postmaster, create the drill's database. On failure nothing of it is left running. */
export async function startPostgres(workDir: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<RunningPostgres> {
  if (!postgresAvailable()) {
    throw new InfrastructureError(
      `target.postgres needs PostgreSQL's server binaries (initdb, postgres) in ${POSTGRES_BIN} (Debian: apt-get install postgresql-15; elsewhere set KAFKA_DRILL_POSTGRES_BIN)`,
    );
  }
  const dir = join(workDir, 'postgres');
  const dataDir = postgresDataDir(workDir);
  const logFile = join(dir, 'postgres.log');
  const password = randomBytes(18).toString('hex');
  const owner = await serverUser();
  if (owner) {
    // The work dir is 0700 and ours: the server's user needs to pass through it, nobody else.
    await chown(workDir, process.getuid!(), owner.gid);
    await chmod(workDir, 0o710);
  }
  await mkdir(dir, { mode: 0o700 });
  if (owner) await chown(dir, owner.uid, owner.gid);
  const pwFile = join(dir, 'initdb.pw');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) await chown(pwFile, owner.uid, owner.gid);
  try {
    const [command, args] = asServerUser(owner, join(POSTGRES_BIN, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      USER,
      `--pwfile=${pwFile}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    const initdb = await execa(command, args, { reject: false, all: true, env: serverEnv(), extendEnv: false, ...(options.signal ? { cancelSignal: options.signal } : {}) });
    if (initdb.exitCode !== 0) throw new InfrastructureError(`initdb for the drill's PostgreSQL failed (exit ${initdb.exitCode})`, initdb.all);
  } finally {
    await rm(pwFile, { force: true });
  }
  const passFile = join(workDir, 'postgres.pgpass');
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePorts(1);
    // psql matches a passfile line by host, port, database and user: any host (TCP or this socket dir).
    await writeFile(passFile, `*:${port}:*:${USER}:${password}\n`, { mode: 0o600 });
    const postmaster = spawnPostmaster(owner, workDir, dataDir, dir, logFile, port!);
    const facts: DrillPostgres = {
      host: '127.0.0.1',
      port: port!,
      database: DATABASE,
      user: USER,
      password,
      jdbcUrl: `jdbc:postgresql://127.0.0.1:${port}/${DATABASE}`,
      url: `postgresql://${USER}@127.0.0.1:${port}/${DATABASE}`,
      passFile,
      dataDir,
      logFile,
      pid: postmaster.pid ?? -1,
    };
    const running: RunningPostgres = { facts, process: postmaster, stop: () => stopPostmaster(postmaster) };
    try {
      await waitUntilServing(facts, postmaster, deadline, options.signal);
      return running;
    } catch (error) {
      await running.stop();
      const portTaken = (await logTail(logFile, EXIT_LOG_LINES)).includes('could not bind');
      if (!portTaken || attempt >= PORT_ATTEMPTS || options.signal?.aborted) throw error;
    }
  }
}

interface ServerUser {
  uid: number;
  gid: number;
}

/** As root: the `postgres` system user the server runs as. Otherwise none (the server runs as us). */
async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all(['-u', '-g'].map(async (flag) => Number((await execa('id', [flag, SYSTEM_USER])).stdout.trim())));
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new InfrastructureError(`running as root, the drill's PostgreSQL needs the system user ${SYSTEM_USER}`);
  return { uid: uid!, gid: gid! };
}

/** The command that runs `program` as the server's user: through setpriv as root (it execs: no process of its own stays), else directly. */
function asServerUser(owner: ServerUser | undefined, program: string, args: string[]): [string, string[]] {
  return owner ? ['setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups', '--', program, ...args]] : [program, args];
}

function spawnPostmaster(owner: ServerUser | undefined, workDir: string, dataDir: string, socketDir: string, logFile: string, port: number): ChildProcess {
  const postgres = join(POSTGRES_BIN, 'postgres');
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    socketDir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=50',
    // Segments as files in the data directory: a posix segment (/dev/shm/PostgreSQL.*) outlives a server the watchdog had to kill.
    '-c',
    'dynamic_shared_memory_type=mmap',
  ];
  const log = openSync(logFile, 'a');
  try {
    const [command, commandArgs] = asServerUser(owner, postgres, args);
    // detached: its own process group, out of reach of the terminal's Ctrl-C; stop() and the watchdog end it.
    const postmaster = spawn(command, commandArgs, { stdio: ['ignore', log, log], detached: true, env: serverEnv() });
    recordProcessGroup(workDir, postmaster.pid);
    postmaster.on('error', () => {});
    return postmaster;
  } finally {
    closeSync(log);
  }
}

/** Ready: the drill's user logs in over TCP with its password and the drill's database exists. */
async function waitUntilServing(facts: DrillPostgres, postmaster: ChildProcess, deadline: number, signal?: AbortSignal): Promise<void> {
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (hasExited(postmaster)) {
      throw new InfrastructureError(`the drill's PostgreSQL exited during start-up (${exitOf(postmaster)}); log: ${facts.logFile}`, await logTail(facts.logFile, EXIT_LOG_LINES));
    }
    const created = await psql({ url: `postgresql://${facts.user}@127.0.0.1:${facts.port}/postgres`, passFile: facts.passFile }, `CREATE DATABASE ${DATABASE}`);
    if (created.exitCode === 0 || /already exists/.test(created.stderr)) return;
    lastProblem = created.stderr.split('\n')[0] ?? '';
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new InfrastructureError(`the drill's PostgreSQL did not accept connections in time (${lastProblem})`, await logTail(facts.logFile, EXIT_LOG_LINES));
}

/** Immediate shutdown (SIGQUIT: the postmaster ends its children, no checkpoint: the data is thrown away), SIGKILL after 5 s. */
async function stopPostmaster(postmaster: ChildProcess): Promise<void> {
  if (hasExited(postmaster)) return;
  const gone = new Promise<void>((resolve) => postmaster.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      if (postmaster.pid !== undefined) process.kill(-postmaster.pid, name);
    } catch {
      // gone already
    }
  };
  signal('SIGQUIT');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

/**
 * The environment of the server's programs: the caller's without its `PG*` variables (PGDATA,
 * PGPORT, … of a CI job are not for the drill's own cluster).
 */
function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
}

/**
 * psql's whole environment: none of the caller's `PG*` variables (a CI job's PGPASSWORD would beat
 * the passfile, its PGSSLMODE=require would refuse the drill's server), messages in English (a
 * caller's locale would translate them), UTF-8 on the wire.
 */
export function psqlEnv(passFile: string | undefined): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    LC_MESSAGES: 'C',
    PGCLIENTENCODING: 'UTF8',
    PGCONNECT_TIMEOUT: '5',
    ...(passFile ? { PGPASSFILE: passFile } : {}),
  };
}

/** How psql reaches a database: a URL without a password, and the passfile that holds it. */
export interface PsqlTarget {
  url: string;
  passFile?: string;
}

/** The arguments psql gets: the URL (no password in it), never a password prompt, quiet unaligned tuples, stop on the first error. */
export function psqlArgs(target: PsqlTarget, sql: string): string[] {
  return ['-X', '-w', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', target.url, '-c', sql];
}

/**
 * Runs one SQL command with psql. The password never goes on psql's command line (any local user
 * reads argv in `ps`): it comes from the 0600 PGPASSFILE.
 */
export async function psql(target: PsqlTarget, sql: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa('psql', psqlArgs(target, sql), {
    reject: false,
    stdin: 'ignore',
    env: psqlEnv(target.passFile),
    extendEnv: false,
  });
  if (result.code === 'ENOENT') throw new InfrastructureError('psql (the PostgreSQL client) is not on PATH');
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A postgresql:// URL as psql gets it, the password taken out (from the userinfo or a `password`
 * query parameter) and written to a 0600 passfile in `dir` instead. Returns the target and a
 * function that removes the passfile.
 */
export async function psqlTargetFor(url: string, dir: string): Promise<{ target: PsqlTarget; dispose(): Promise<void> }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { target: { url }, dispose: async () => {} };
  }
  const password = decodeURIComponent(parsed.password) || parsed.searchParams.get('password') || '';
  if (!password) return { target: { url }, dispose: async () => {} };
  parsed.password = '';
  parsed.searchParams.delete('password');
  const passFile = join(dir, `pgpass-${randomBytes(6).toString('hex')}`);
  const escape = (value: string) => value.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
  await writeFile(passFile, `*:*:*:${escape(decodeURIComponent(parsed.username) || '*')}:${escape(password)}\n`, { mode: 0o600 });
  return { target: { url: parsed.toString(), passFile }, dispose: () => rm(passFile, { force: true }) };
}
