import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
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
 * A dump that fails leaves a `.failed` file with its output, and no later start tries again.
 */
export interface ClassDataSharing {
  /** For every JVM of the environment. */
  options: string[];
  /** For one broker, when the class list is still to be recorded. */
  recordOptions: string[];
  /** Keeps what the recording broker wrote (call once its JVM has stopped). */
  keepRecording(): Promise<void>;
}

export async function classDataSharing(distribution: KafkaDistribution): Promise<ClassDataSharing> {
  const dir = join(cacheRoot(), 'class-data-sharing');
  const key = await archiveKey(distribution);
  const archive = join(dir, `${key}.jsa`);
  const classList = join(dir, `${key}.classlist`);
  const failed = join(dir, `${key}.failed`);
  const none: ClassDataSharing = { options: [], recordOptions: [], keepRecording: async () => {} };
  const use: ClassDataSharing = { ...none, options: [`-XX:SharedArchiveFile=${archive}`, '-Xshare:auto'] };
  if (existsSync(archive)) return use;
  if (existsSync(failed)) return none;
  await mkdir(dir, { recursive: true });
  if (existsSync(classList)) return (await dumpArchive(distribution, classList, archive, failed)) ? use : none;
  const recording = join(dir, `${key}.classlist.${randomBytes(4).toString('hex')}.tmp`);
  return {
    options: [],
    recordOptions: [`-XX:DumpLoadedClassList=${recording}`],
    keepRecording: async () => {
      if (!existsSync(recording)) return;
      // Another environment may have kept its list first: either is as good.
      if (existsSync(classList)) await rm(recording, { force: true });
      else await rename(recording, classList);
    },
  };
}

async function dumpArchive(distribution: KafkaDistribution, classList: string, archive: string, failed: string): Promise<boolean> {
  const building = `${archive}.${randomBytes(4).toString('hex')}.tmp`;
  const dump = await execa(javaBinary(), ['-Xshare:dump', `-XX:SharedClassListFile=${classList}`, `-XX:SharedArchiveFile=${building}`, '-cp', join(distribution.libsDir, '*')], {
    reject: false,
    all: true,
    timeout: 180_000,
  });
  if (dump.exitCode === 0 && existsSync(building)) {
    await rename(building, archive);
    return true;
  }
  await rm(building, { force: true });
  await writeFile(failed, `java -Xshare:dump exited ${dump.exitCode ?? dump.signal}:\n${(dump.all ?? '').slice(-4000)}\n`);
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
