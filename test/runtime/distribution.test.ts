import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireLock,
  checkSupportedVersion,
  DEFAULT_KAFKA_VERSION,
  installKafka,
  NEWEST_RELEASES,
  resolveDistribution,
  versionForSnapshot,
} from '../../src/runtime/distribution.js';
import { InfrastructureError, InputError } from '../../src/errors.js';
import { main } from '../../src/cli/main.js';

const saved = { cache: process.env.KAFKA_DRILL_CACHE, lockTimeout: process.env.KAFKA_DRILL_LOCK_TIMEOUT_MS, javaHome: process.env.JAVA_HOME };
let cache: string;

beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'kafka-drill-cache-'));
  process.env.KAFKA_DRILL_CACHE = cache;
});
afterEach(async () => {
  for (const [key, value] of [
    ['KAFKA_DRILL_CACHE', saved.cache],
    ['KAFKA_DRILL_LOCK_TIMEOUT_MS', saved.lockTimeout],
    ['JAVA_HOME', saved.javaHome],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(cache, { recursive: true, force: true });
});

describe('Kafka distribution install', () => {
  it('refuses a version outside the supported lines before touching Maven', async () => {
    await expect(installKafka('2.8.1')).rejects.toThrow(new InputError('Kafka 2.8.1 is not supported: kafka-drill runs the 3.9.x line and 4.0.x–4.4.x (e.g. 3.9.2, 4.3.1)'));
  });

  it('names a supported-looking version Maven Central does not have', async () => {
    await expect(installKafka('4.0.9')).rejects.toThrow('Kafka 4.0.9 is not on Maven Central (no org.apache.kafka:kafka_2.13:4.0.9); pick a released version such as 4.3.1');
    expect(await readdir(join(cache, 'kafka'))).toEqual([]);
  });

  it('says how to install a version that is not in the cache', async () => {
    await expect(resolveDistribution('3.9.2')).rejects.toThrow(new InfrastructureError('Kafka 3.9.2 is not installed: run "kafka-drill kafka install 3.9.2"'));
  });

  it('fails with one line naming what to do when java is missing', async () => {
    process.env.JAVA_HOME = '/nonexistent-jdk';
    const stderr: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (stderr.push(chunk), true)) as typeof process.stderr.write;
    try {
      expect(await main(['kafka', 'install', '3.9.2'])).toBe(3);
    } finally {
      process.stderr.write = write;
    }
    expect(stderr.join('')).toBe(
      'kafka-drill kafka: java not found (/nonexistent-jdk/bin/java): install a JDK 17 or newer (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME\n',
    );
  });

  it('reports an occupied cache lock held by a live process, naming the process and the lock file', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      await mkdir(join(cache, 'kafka'), { recursive: true });
      await writeFile(join(cache, 'kafka', '3.9.2.lock'), String(holder.pid));
      process.env.KAFKA_DRILL_LOCK_TIMEOUT_MS = '300';
      await expect(installKafka('3.9.2')).rejects.toThrow(
        `the Kafka 3.9.2 cache is locked by process ${holder.pid} (${join(cache, 'kafka', '3.9.2.lock')}): another kafka-drill is installing it; wait for it to finish, or delete the lock file if that process is not kafka-drill`,
      );
    } finally {
      holder.kill();
    }
  });

  it('gives the cache lock to one racer at a time when many race for a stale one, and leaves no files behind', async () => {
    await mkdir(join(cache, 'kafka'), { recursive: true });
    // No waiting: a racer that finds a live owner gives up at once, so each round is one race.
    process.env.KAFKA_DRILL_LOCK_TIMEOUT_MS = '0';
    const holdersPerRound: number[] = [];
    for (let round = 0; round < 50; round++) {
      await writeFile(join(cache, 'kafka', '3.9.2.lock'), '999999');
      const releases = (await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock('3.9.2', () => {})))).flatMap((outcome) =>
        outcome.status === 'fulfilled' ? [outcome.value] : [],
      );
      holdersPerRound.push(releases.length);
      await Promise.all(releases.map((release) => release()));
    }
    expect(holdersPerRound).toEqual(Array.from({ length: 50 }, () => 1));
    expect(await readdir(join(cache, 'kafka'))).toEqual([]);
    // A lock of no pid (a crash while an older kafka-drill wrote it) is stale too.
    for (const content of ['', 'not a pid']) {
      await writeFile(join(cache, 'kafka', '3.9.2.lock'), content);
      const release = await acquireLock('3.9.2', () => {});
      await release();
    }
    expect(await readdir(join(cache, 'kafka'))).toEqual([]);
    // One that cannot be read is an error, not a lock to wait on for ever.
    await mkdir(join(cache, 'kafka', '3.9.2.lock'));
    await expect(acquireLock('3.9.2', () => {})).rejects.toThrow(`cannot read the Kafka cache lock ${join(cache, 'kafka', '3.9.2.lock')}: EISDIR`);
  });

  it('installs once when two installs race, replaces a half-finished install, and takes over a stale lock', async () => {
    // A half-finished install (no manifest) and a lock left by a process that no longer exists.
    await mkdir(join(cache, 'kafka', '3.9.2', 'libs'), { recursive: true });
    await mkdir(join(cache, 'kafka', '3.9.2.staging-999998', 'libs'), { recursive: true });
    await writeFile(join(cache, 'kafka', '3.9.2.lock'), '999999');
    await expect(resolveDistribution('3.9.2')).rejects.toThrow('is not installed');

    const [first, second] = await Promise.all([installKafka('3.9.2'), installKafka('3.9.2')]);
    expect([first.alreadyInstalled, second.alreadyInstalled].sort()).toEqual([false, true]);
    expect(first.distribution.libsDir).toBe(join(cache, 'kafka', '3.9.2', 'libs'));
    const jars = await readdir(first.distribution.libsDir);
    expect(jars).toContain('kafka_2.13-3.9.2.jar');
    expect(jars).toContain('connect-file-3.9.2.jar');
    expect(jars).toContain('slf4j-simple-1.7.36.jar');
    expect(jars.filter((jar) => jar.includes('reload4j'))).toEqual([]);
    expect(existsSync(join(cache, 'kafka', '3.9.2.lock'))).toBe(false);
    expect((await readdir(join(cache, 'kafka'))).sort()).toEqual(['3.9.2']);
    expect((await resolveDistribution('3.9.2')).fileConnectors).toBe(true);
  });
});

describe('the Kafka version a drill without kafkaVersion runs on', () => {
  it("is the newest supported release of the snapshot's own line, whether the snapshot records a line or a release", () => {
    expect(versionForSnapshot('3.9')).toEqual({ version: '3.9.2', reason: "the newest supported release of the snapshot's Kafka 3.9 line" });
    expect(versionForSnapshot('3.9.0').version).toBe('3.9.2');
    expect(versionForSnapshot('4.1.0').version).toBe('4.1.2');
    expect(versionForSnapshot('4.1').version).toBe('4.1.2');
    expect(versionForSnapshot('4.3.1').version).toBe('4.3.1');
    expect(versionForSnapshot('4.4').version).toBe('4.4.0');
  });

  it('is the default, with the reason, for an unknown version or a line kafka-drill does not support', () => {
    expect(versionForSnapshot('unknown')).toEqual({ version: DEFAULT_KAFKA_VERSION, reason: 'the snapshot does not say which Kafka it came from ("unknown"): the default' });
    expect(versionForSnapshot('3.7.1')).toEqual({ version: DEFAULT_KAFKA_VERSION, reason: "the snapshot's Kafka 3.7 is not a supported line (3.9, 4.0–4.4): the default" });
    expect(versionForSnapshot('4.5').version).toBe(DEFAULT_KAFKA_VERSION);
  });

  it('names only releases the install accepts', () => {
    for (const version of Object.values(NEWEST_RELEASES)) expect(() => checkSupportedVersion(version)).not.toThrow();
  });
});
