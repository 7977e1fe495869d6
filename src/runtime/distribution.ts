import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InfrastructureError, InputError } from '../errors.js';

/**
 * A runnable Apache Kafka: the jars of the broker, its CLI tool classes, the Connect runtime
 * with the FileStream and MirrorMaker 2 connectors, and one logging binding. Either resolved from Maven Central
 * into kafka-drill's cache, or an unpacked official distribution named by KAFKA_HOME.
 */
export interface KafkaDistribution {
  version: string;
  /** Directory holding every jar; the classpath is `<libsDir>/*`. */
  libsDir: string;
  /** 'cache' when kafka-drill installed it, 'kafka-home' for KAFKA_HOME. */
  origin: 'cache' | 'kafka-home';
  /** False where Maven Central serves no connect-file jar for this version (4.4.0). */
  fileConnectors: boolean;
  /** False where the Maven repository serves no connect-mirror jars for this version: no MirrorMaker 2 (restore.data: mirror). */
  mirrorConnectors: boolean;
}

/** Newest 4.x the test suite passes on; 4.4.0 lacks connect-file on Maven Central. */
export const DEFAULT_KAFKA_VERSION = '4.3.1';

const SUPPORTED_LINES = /^(3\.9|4\.[0-4])\.\d+$/;

/** Each supported release line → its newest release on Maven Central: what a snapshot of that line runs on. */
export const NEWEST_RELEASES: Record<string, string> = {
  '3.9': '3.9.2',
  '4.0': '4.0.2',
  '4.1': '4.1.2',
  '4.2': '4.2.2',
  '4.3': '4.3.1',
  '4.4': '4.4.0',
};

export interface ResolvedVersion {
  version: string;
  /** Why this version, in words for the progress output. */
  reason: string;
}

/**
 * The version a drill runs on when its spec names none: the newest supported release of the
 * snapshot's own release line (a snapshot records "3.9" or "3.9.0"), never an upgrade nobody
 * asked for. A line kafka-drill does not support, or an unknown version, runs on the default.
 */
export function versionForSnapshot(snapshotVersion: string): ResolvedVersion {
  const line = /^(\d+\.\d+)(?:\.\d+)?$/.exec(snapshotVersion)?.[1];
  const newest = line === undefined ? undefined : NEWEST_RELEASES[line];
  if (newest) return { version: newest, reason: `the newest supported release of the snapshot's Kafka ${line} line` };
  if (line === undefined) return { version: DEFAULT_KAFKA_VERSION, reason: `the snapshot does not say which Kafka it came from ("${snapshotVersion}"): the default` };
  return { version: DEFAULT_KAFKA_VERSION, reason: `the snapshot's Kafka ${line} is not a supported line (3.9, 4.0–4.4): the default` };
}
const MANIFEST = 'kafka-drill-install.json';

const ARTIFACTS = ['kafka_2.13', 'kafka-tools', 'connect-runtime', 'connect-json', 'connect-transforms', 'connect-mirror', 'connect-mirror-client', 'connect-file'];
/** Artifacts a distribution can run without: each named group is left out together when one of it is missing. */
const OPTIONAL_GROUPS: Record<'file' | 'mirror', string[]> = { file: ['connect-file'], mirror: ['connect-mirror', 'connect-mirror-client'] };
/** Installs written before the MirrorMaker 2 connectors joined ARTIFACTS lack them: such an install is made again. */
const INSTALL_LAYOUT = 2;
/** One binding for every line: 3.9 brings reload4j, 4.x none, and two bindings make slf4j pick at random. */
const LOGGING = { groupId: 'org.slf4j', artifactId: 'slf4j-simple', version: '1.7.36' };
const EXCLUDED_ARTIFACTS = ['slf4j-reload4j', 'reload4j', 'log4j-slf4j-impl', 'log4j-slf4j2-impl'];

interface InstallManifest {
  version: string;
  layout?: number;
  fileConnectors: boolean;
  mirrorConnectors: boolean;
  jars: number;
  bytes: number;
  installedAt: string;
  installSeconds: number;
}

export function cacheRoot(): string {
  return process.env.KAFKA_DRILL_CACHE ?? join(homedir(), '.cache', 'kafka-drill');
}

function versionDir(version: string): string {
  return join(cacheRoot(), 'kafka', version);
}

export function checkSupportedVersion(version: string): void {
  if (!SUPPORTED_LINES.test(version)) {
    throw new InputError(`Kafka ${version} is not supported: kafka-drill runs the 3.9.x line and 4.0.x–4.4.x (e.g. 3.9.2, ${DEFAULT_KAFKA_VERSION})`);
  }
}

/**
 * The distribution to run for `version`: KAFKA_HOME when it holds that version, else the
 * cache. Does not download; a missing version is an error telling the user what to run.
 */
export async function resolveDistribution(version: string = DEFAULT_KAFKA_VERSION): Promise<KafkaDistribution> {
  checkSupportedVersion(version);
  const fromHome = await kafkaHomeDistribution();
  if (fromHome && fromHome.version === version) return fromHome;
  const installed = await readInstalled(version);
  if (installed) return installed;
  throw new InfrastructureError(`Kafka ${version} is not installed: run "kafka-drill kafka install ${version}"`);
}

/** KAFKA_HOME, if set: an unpacked official distribution whose libs/ names its version. */
export async function kafkaHomeDistribution(): Promise<KafkaDistribution | undefined> {
  const home = process.env.KAFKA_HOME;
  if (!home) return undefined;
  const libsDir = join(home, 'libs');
  let jars: string[];
  try {
    jars = await readdir(libsDir);
  } catch {
    throw new InputError(`KAFKA_HOME=${home}: no libs/ directory; point KAFKA_HOME at an unpacked Apache Kafka distribution`);
  }
  const brokerJar = jars.map((jar) => /^kafka_2\.1[23]-(\d+\.\d+\.\d+)\.jar$/.exec(jar)).find(Boolean);
  if (!brokerJar?.[1]) throw new InputError(`KAFKA_HOME=${home}: libs/ has no kafka_2.13-<version>.jar`);
  return {
    version: brokerJar[1],
    libsDir,
    origin: 'kafka-home',
    fileConnectors: jars.some((jar) => jar.startsWith('connect-file-')),
    mirrorConnectors: jars.some((jar) => jar.startsWith('connect-mirror-')),
  };
}

async function readInstalled(version: string): Promise<KafkaDistribution | undefined> {
  const dir = versionDir(version);
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as InstallManifest;
    if (manifest.layout !== INSTALL_LAYOUT) return undefined;
    return { version, libsDir: join(dir, 'libs'), origin: 'cache', fileConnectors: manifest.fileConnectors, mirrorConnectors: manifest.mirrorConnectors };
  } catch {
    return undefined;
  }
}

export interface InstallReport {
  distribution: KafkaDistribution;
  alreadyInstalled: boolean;
  seconds: number;
  bytes: number;
  jars: number;
}

/**
 * Installs `version` into the cache with Maven. Idempotent; a second process waits on the
 * per-version lock and then finds the install done; a directory without the manifest (the
 * last thing written) is a half-finished install and is replaced.
 */
export async function installKafka(version: string = DEFAULT_KAFKA_VERSION, log: (line: string) => void = () => {}): Promise<InstallReport> {
  checkSupportedVersion(version);
  const existing = await readInstalled(version);
  if (existing) return { distribution: existing, alreadyInstalled: true, seconds: 0, ...(await sizeOf(existing.libsDir)) };

  const releaseLock = await acquireLock(version, log);
  try {
    const installedMeanwhile = await readInstalled(version);
    if (installedMeanwhile) {
      return { distribution: installedMeanwhile, alreadyInstalled: true, seconds: 0, ...(await sizeOf(installedMeanwhile.libsDir)) };
    }
    const started = performance.now();
    const dir = versionDir(version);
    if (existsSync(dir)) {
      log(`removing an unfinished or outdated install at ${dir}`);
      await rm(dir, { recursive: true, force: true });
    }
    await removeAbandonedStaging(version);
    const staging = `${dir}.staging-${uniqueSuffix()}`;
    await mkdir(staging, { recursive: true });
    log(`resolving Apache Kafka ${version} from Maven Central`);
    const leftOut = new Set<keyof typeof OPTIONAL_GROUPS>();
    try {
      for (;;) {
        try {
          await copyJars(
            version,
            staging,
            ARTIFACTS.filter((artifact) => ![...leftOut].some((group) => OPTIONAL_GROUPS[group].includes(artifact))),
          );
          break;
        } catch (error) {
          const group =
            error instanceof MissingArtifactError
              ? (Object.keys(OPTIONAL_GROUPS) as (keyof typeof OPTIONAL_GROUPS)[]).find((name) => OPTIONAL_GROUPS[name].includes(error.artifact))
              : undefined;
          if (!group || leftOut.has(group)) throw error instanceof MissingArtifactError ? missingKafka(version, error.artifact) : error;
          leftOut.add(group);
          log(
            `the Maven repository has no ${(error as MissingArtifactError).artifact} ${version}; installing without the ${group === 'file' ? 'FileStream' : 'MirrorMaker 2'} connectors`,
          );
        }
      }
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    const fileConnectors = !leftOut.has('file');
    const mirrorConnectors = !leftOut.has('mirror');
    const { bytes, jars } = await sizeOf(join(staging, 'libs'));
    const seconds = (performance.now() - started) / 1000;
    const manifest: InstallManifest = {
      version,
      layout: INSTALL_LAYOUT,
      fileConnectors,
      mirrorConnectors,
      jars,
      bytes,
      installedAt: new Date().toISOString(),
      installSeconds: seconds,
    };
    await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    await rm(join(staging, 'pom.xml'), { force: true });
    await rename(staging, dir);
    return { distribution: { version, libsDir: join(dir, 'libs'), origin: 'cache', fileConnectors, mirrorConnectors }, alreadyInstalled: false, seconds, bytes, jars };
  } finally {
    await releaseLock();
  }
}

class MissingArtifactError extends Error {
  constructor(
    readonly artifact: string,
    message: string,
  ) {
    super(message);
  }
}

async function requireMaven(): Promise<void> {
  try {
    await execa('mvn', ['--version']);
  } catch {
    throw new InfrastructureError('mvn not found: install Apache Maven 3.8+ (e.g. apt-get install maven), or set KAFKA_HOME to an unpacked Kafka distribution');
  }
}

function missingKafka(version: string, artifact: string): InputError {
  return new InputError(`Kafka ${version} is not on Maven Central (no org.apache.kafka:${artifact}:${version}); pick a released version such as ${DEFAULT_KAFKA_VERSION}`);
}

async function copyJars(version: string, staging: string, artifacts: string[]): Promise<void> {
  await requireMaven();
  const dependencies = [...artifacts.map((artifactId) => ({ groupId: 'org.apache.kafka', artifactId, version })), LOGGING]
    .map((d) => `    <dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version></dependency>`)
    .join('\n');
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafka-drill</groupId><artifactId>kafka-distribution</artifactId><version>${version}</version><packaging>pom</packaging>
  <dependencies>
${dependencies}
  </dependencies>
</project>
`;
  await writeFile(join(staging, 'pom.xml'), pom);
  const result = await execa(
    'mvn',
    ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DexcludeArtifactIds=${EXCLUDED_ARTIFACTS.join(',')}`, `-DoutputDirectory=${join(staging, 'libs')}`],
    { cwd: staging, reject: false, all: true },
  );
  if (result.exitCode === 0) return;
  const output = result.all ?? '';
  // Maven words it one way on the first miss and another once the miss is cached in ~/.m2.
  const missing = /Could not find artifact org\.apache\.kafka:([\w.-]+):jar:[\w.-]+/.exec(output) ?? /org\.apache\.kafka:([\w.-]+):jar:[\w.-]+ was not found/.exec(output);
  if (missing?.[1]) {
    throw new MissingArtifactError(missing[1], `${missing[1]} ${version} is not on Maven Central`);
  }
  if (/Could not transfer|UnknownHost|Connection refused|Network is unreachable|timed out|offline/i.test(output)) {
    throw new InfrastructureError(`cannot reach Maven Central to download Kafka ${version}: check the network or a Maven mirror in ~/.m2/settings.xml, or set KAFKA_HOME`);
  }
  const firstError = output.split('\n').find((line) => line.includes('[ERROR]')) ?? output.split('\n')[0];
  throw new InfrastructureError(`mvn failed to resolve Kafka ${version}: ${firstError?.replace(/^\[ERROR\]\s*/, '').trim()}`);
}

async function sizeOf(libsDir: string): Promise<{ bytes: number; jars: number }> {
  const files = await readdir(libsDir);
  const sizes = await Promise.all(files.map(async (file) => (await stat(join(libsDir, file))).size));
  return { bytes: sizes.reduce((sum, size) => sum + size, 0), jars: files.length };
}

/** Staging directories and lock files of installs whose process died (killed mid-download); ours is recreated. */
async function removeAbandonedStaging(version: string): Promise<void> {
  for (const entry of await readdir(join(cacheRoot(), 'kafka'))) {
    const [, kind, named] = new RegExp(`^${version.replaceAll('.', '\\.')}\\.(staging-|lock\\.claim-|lock\\.)(\\d+)`).exec(entry) ?? [];
    if (!named) continue;
    // A claim is named after the lock it claimed and holds its claimer's pid.
    const pid = kind === 'lock.claim-' ? (await readFile(join(cacheRoot(), 'kafka', entry), 'utf8').catch(() => '')).trim() : named;
    if ((kind === 'staging-' && Number(pid) === process.pid) || !processAlive(Number(pid))) {
      await rm(join(cacheRoot(), 'kafka', entry), { recursive: true, force: true });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Exclusive per-version lock file holding the owner's pid; a lock whose owner is gone is stale and
 * taken over. A lock appears with its pid already in it (written aside, then hard-linked into
 * place), so no racer reads a new lock as empty. Of the racers that judge the same lock file stale,
 * only the one that claims that file (by its inode) replaces it, and only if it is still that file.
 */
export async function acquireLock(version: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const lockFile = `${versionDir(version)}.lock`;
  await mkdir(join(cacheRoot(), 'kafka'), { recursive: true });
  const waitMs = Number(process.env.KAFKA_DRILL_LOCK_TIMEOUT_MS ?? 15 * 60_000);
  const deadline = Date.now() + waitMs;
  const mine = `${lockFile}.${uniqueSuffix()}`;
  await writeFile(mine, String(process.pid));
  const { ino } = await stat(mine);
  const release = async () => {
    if ((await stat(lockFile).catch(() => undefined))?.ino === ino) await rm(lockFile, { force: true });
  };
  let told = false;
  try {
    for (;;) {
      try {
        await link(mine, lockFile);
        return release;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const lock = await readLock(lockFile);
      if (!lock) continue;
      const stale = !lock.owner || !processAlive(lock.owner);
      if (stale && (await replaceStaleLock(lockFile, lock, mine))) {
        log(`took over stale lock ${lockFile}`);
        return release;
      }
      if (Date.now() >= deadline) {
        throw new InfrastructureError(
          `the Kafka ${version} cache is locked by process ${lock.owner} (${lockFile}): another kafka-drill is installing it; wait for it to finish, or delete the lock file if that process is not kafka-drill`,
        );
      }
      if (!stale && !told) log(`waiting for process ${lock.owner} to finish installing Kafka ${version}`);
      told ||= !stale;
      await new Promise((resolve) => setTimeout(resolve, stale ? 20 : 250));
    }
  } finally {
    await rm(mine, { force: true });
  }
}

interface LockFile {
  ino: number;
  owner: number;
}

/** The lock file as it is now; undefined when there is none. One that cannot be read is an error, not a lock to wait on. */
async function readLock(lockFile: string): Promise<LockFile | undefined> {
  try {
    const { ino } = await stat(lockFile);
    return { ino, owner: Number((await readFile(lockFile, 'utf8')).trim()) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InfrastructureError(`cannot read the Kafka cache lock ${lockFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Replaces the stale `judged` lock file with `mine` when this call is the one that claimed it and it is still in place. */
async function replaceStaleLock(lockFile: string, judged: LockFile, mine: string): Promise<boolean> {
  const claim = `${lockFile}.claim-${judged.ino}`;
  try {
    await link(mine, claim);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const claimer = Number((await readFile(claim, 'utf8').catch(() => '')).trim());
    // A claimer killed between its claim and its replace: the claim goes so the next racer can.
    if (claimer && !processAlive(claimer)) await rm(claim, { force: true });
    return false;
  }
  try {
    const now = await readLock(lockFile);
    // Object.is: a lock of no pid (empty, or not a number: NaN) is still the same lock.
    if (now?.ino !== judged.ino || !Object.is(now.owner, judged.owner)) return false;
    await rename(mine, lockFile);
    return true;
  } finally {
    await rm(claim, { force: true });
  }
}

/** `<pid>-<random>`: names of one call's files, apart from another call's in the same process. */
function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Kafka Streams for the streams probe: org.apache.kafka:kafka-streams of `version` and RocksDB (which
 * Streams loads even for in-memory stores), beside the distribution rather than in it, so adding it
 * does not reinstall every cached Kafka. Installed on first use from Maven Central; a directory
 * appears only complete (staged, then renamed). KAFKA_HOME brings its own (an official
 * distribution's libs/ holds kafka-streams).
 */
export async function kafkaStreamsLibs(version: string, log: (line: string) => void = () => {}): Promise<string> {
  const distribution = await resolveDistribution(version);
  if (distribution.origin === 'kafka-home') {
    if ((await readdir(distribution.libsDir)).some((jar) => jar.startsWith(`kafka-streams-${version}`))) return distribution.libsDir;
    throw new InfrastructureError(`KAFKA_HOME=${process.env.KAFKA_HOME}: libs/ has no kafka-streams-${version}.jar`);
  }
  const dir = join(cacheRoot(), 'kafka-streams', version);
  if (existsSync(join(dir, 'libs'))) return join(dir, 'libs');
  log(`resolving Kafka Streams ${version} from Maven Central`);
  const staging = `${dir}.staging-${uniqueSuffix()}`;
  await mkdir(staging, { recursive: true });
  try {
    await requireMaven();
    const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafka-drill</groupId><artifactId>kafka-streams</artifactId><version>${version}</version><packaging>pom</packaging>
  <dependencies><dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams</artifactId><version>${version}</version></dependency></dependencies>
</project>
`;
    await writeFile(join(staging, 'pom.xml'), pom);
    const result = await execa(
      'mvn',
      ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', '-DincludeArtifactIds=kafka-streams,rocksdbjni', `-DoutputDirectory=${join(staging, 'libs')}`],
      { cwd: staging, reject: false, all: true },
    );
    if (result.exitCode !== 0) {
      const firstError = (result.all ?? '').split('\n').find((line) => line.includes('[ERROR]')) ?? '';
      throw new InfrastructureError(`mvn failed to resolve Kafka Streams ${version}: ${firstError.replace(/^\[ERROR\]\s*/, '').trim()}`);
    }
    await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process installed it first: theirs is the same.
      if (!existsSync(join(dir, 'libs'))) throw error;
    });
    return join(dir, 'libs');
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
