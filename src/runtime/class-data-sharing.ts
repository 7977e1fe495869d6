import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot, type KafkaDistribution } from './distribution.js';
import { javaBinary } from './java.js';

/**
 * Class data sharing for the JVMs an environment starts. A cold broker spends most of its start
 * loading and verifying about 7,500 classes; mapped from a shared archive they cost almost nothing
 * (3 secured brokers: 13.1 s → 7.9 s here). The archive is built once per Kafka distribution and
 * JVM build, in kafka-drill's cache (never in a KAFKA_HOME):
 *
 * 1. an environment with no class list yet has its first broker record the classes it loads
 *    (`-XX:DumpLoadedClassList`), kept when the environment stops;
 * 2. the next start turns that list into an archive (`java -Xshare:dump`, about 10 s, once);
 * 3. every later JVM maps it (`-XX:SharedArchiveFile`). A JVM that cannot use it (a changed jar,
 *    another JDK) runs without it: -Xshare:auto.
 *
 * A dump that fails leaves a `.failed` file with its output, and no later start tries again (one
 * that was interrupted or timed out is tried again). One environment dumps at a time; the others
 * start without the archive meanwhile. Any error of this cache is a start without the archive,
 * never a failed start.
 */
export interface ClassDataSharing {
  /** For every JVM of the environment. */
  options: string[];
  /** For one broker, when the class list is still to be recorded. */
  recordOptions: string[];
  /** Keeps what the recording broker wrote (call once its JVM has stopped). */
  keepRecording(): Promise<void>;
}

export async function classDataSharing(distribution: KafkaDistribution, signal?: AbortSignal): Promise<ClassDataSharing> {
  try {
    return await prepareSharing(distribution, signal);
  } catch {
    return NONE;
  }
}

const NONE: ClassDataSharing = { options: [], recordOptions: [], keepRecording: async () => {} };

/** A recording shorter than this is a broker that died early: not worth an archive. */
const MIN_CLASS_LIST_LINES = 2_000;

async function prepareSharing(distribution: KafkaDistribution, signal: AbortSignal | undefined): Promise<ClassDataSharing> {
  const dir = join(cacheRoot(), 'class-data-sharing');
  const key = await archiveKey(distribution);
  const archive = join(dir, `${key}.jsa`);
  const classList = join(dir, `${key}.classlist`);
  const failed = join(dir, `${key}.failed`);
  const use: ClassDataSharing = { ...NONE, options: [`-XX:SharedArchiveFile=${archive}`, '-Xshare:auto'] };
  if (existsSync(archive)) return use;
  if (existsSync(failed)) return NONE;
  await mkdir(dir, { recursive: true });
  if (existsSync(classList)) return (await dumpOnce(distribution, { dir, classList, archive, failed }, signal)) ? use : NONE;
  const recording = join(dir, `${key}.classlist.${randomBytes(4).toString('hex')}.tmp`);
  return {
    options: [],
    recordOptions: [`-XX:DumpLoadedClassList=${recording}`],
    keepRecording: async () => {
      try {
        const lines = existsSync(recording) ? (await readFile(recording, 'utf8')).split('\n').length : 0;
        // Another environment may have kept its list first: either is as good.
        if (lines < MIN_CLASS_LIST_LINES || existsSync(classList)) await rm(recording, { force: true });
        else await rename(recording, classList);
      } catch {
        // A cache that cannot be written: the next start records again.
      }
    },
  };
}

interface ArchiveFiles {
  dir: string;
  classList: string;
  archive: string;
  failed: string;
}

/** Dumps the archive unless another environment is dumping it (its lock file is fresh): then none for now. */
async function dumpOnce(distribution: KafkaDistribution, files: ArchiveFiles, signal: AbortSignal | undefined): Promise<boolean> {
  const lock = `${files.archive}.dumping`;
  if (existsSync(lock) && Date.now() - (await stat(lock)).mtimeMs < 10 * 60_000) return false;
  await rm(lock, { force: true });
  let handle;
  try {
    handle = await open(lock, 'wx');
  } catch {
    return false;
  }
  try {
    await removeStale(files.dir);
    return await dumpArchive(distribution, files, signal);
  } finally {
    await handle.close();
    await rm(lock, { force: true });
  }
}

/** Temporary files of killed recordings and dumps (an hour old: nothing still writes them). */
async function removeStale(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.tmp')) continue;
    const file = join(dir, name);
    if (Date.now() - (await stat(file)).mtimeMs > 60 * 60_000) await rm(file, { force: true });
  }
}

async function dumpArchive(distribution: KafkaDistribution, { classList, archive, failed }: ArchiveFiles, signal: AbortSignal | undefined): Promise<boolean> {
  const building = `${archive}.${randomBytes(4).toString('hex')}.tmp`;
  const dump = await execa(javaBinary(), ['-Xshare:dump', `-XX:SharedClassListFile=${classList}`, `-XX:SharedArchiveFile=${building}`, '-cp', join(distribution.libsDir, '*')], {
    reject: false,
    all: true,
    timeout: 180_000,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (dump.exitCode === 0 && existsSync(building)) {
    await rename(building, archive);
    return true;
  }
  await rm(building, { force: true });
  // Interrupted or out of time says nothing about the list: the next start tries again.
  if (typeof dump.exitCode === 'number' && !dump.timedOut && !dump.isCanceled) {
    await writeFile(failed, `java -Xshare:dump exited ${dump.exitCode}:\n${(dump.all ?? '').slice(-4000)}\n`);
  }
  return false;
}

/** The distribution's jar names and the exact JVM build: an archive is valid for that pair only. */
async function archiveKey(distribution: KafkaDistribution): Promise<string> {
  const jars = (await readdir(distribution.libsDir)).filter((name) => name.endsWith('.jar')).sort();
  const java = await execa(javaBinary(), ['-version'], { reject: false, all: true });
  const hash = createHash('sha256')
    .update(distribution.libsDir)
    .update(jars.join('\n'))
    .update(javaBinary())
    .update(java.all ?? '');
  return `${distribution.version}-${hash.digest('hex').slice(0, 16)}`;
}
