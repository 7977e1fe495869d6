import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { classDataSharing } from '../../src/runtime/class-data-sharing.js';
import { resolveDistribution } from '../../src/runtime/distribution.js';
import { javaBinary } from '../../src/runtime/java.js';
import { tempDir } from '../support/temp.js';

const cache = process.env.KAFKA_DRILL_CACHE;
afterEach(() => {
  if (cache === undefined) delete process.env.KAFKA_DRILL_CACHE;
  else process.env.KAFKA_DRILL_CACHE = cache;
});

/** A short Kafka JVM: StorageTool prints a fresh cluster id. With -Xlog, each class says where it came from. */
function kafkaTool(libsDir: string, options: string[]) {
  return execa(javaBinary(), [...options, '-Xlog:class+load=info', '-cp', join(libsDir, '*'), 'kafka.tools.StorageTool', 'random-uuid'], { all: true });
}

describe('class data sharing', () => {
  it('records the classes a Kafka JVM loads, builds the archive once on the next start, and later JVMs map Kafka classes from it', async () => {
    const distribution = await resolveDistribution();
    // Only the archive's directory moves to a fresh cache: the jars stay where they are.
    process.env.KAFKA_DRILL_CACHE = tempDir('class-data-sharing');
    const dir = join(process.env.KAFKA_DRILL_CACHE, 'class-data-sharing');

    const first = await classDataSharing(distribution);
    expect(first.options).toEqual([]);
    expect(first.recordOptions).toEqual([expect.stringMatching(/^-XX:DumpLoadedClassList=.*\.classlist\.[0-9a-f]{8}\.tmp$/)]);
    const unshared = await kafkaTool(distribution.libsDir, first.recordOptions);
    expect(unshared.all).not.toMatch(/kafka\.tools\.StorageTool source: shared objects file/);
    await first.keepRecording();
    expect(readdirSync(dir).filter((name) => name.endsWith('.classlist'))).toHaveLength(1);

    const second = await classDataSharing(distribution);
    expect(second.recordOptions).toEqual([]);
    expect(second.options).toEqual([expect.stringMatching(/^-XX:SharedArchiveFile=.*\.jsa$/), '-Xshare:auto']);
    expect(existsSync(second.options[0]!.replace('-XX:SharedArchiveFile=', ''))).toBe(true);
    // -Xshare:on: the JVM refuses to start rather than run without the archive.
    const shared = await kafkaTool(distribution.libsDir, [second.options[0]!, '-Xshare:on']);
    expect(shared.all).toMatch(/kafka\.tools\.StorageTool source: shared objects file/);
    expect(shared.all).toMatch(/org\.apache\.kafka\.common\.Uuid source: shared objects file/);

    // The third start finds the archive: nothing to record, nothing to build.
    const third = await classDataSharing(distribution);
    expect(third).toMatchObject({ options: second.options, recordOptions: [] });
  }, 120_000);

  it('keeps no recording of a JVM that died early (a short class list), so a later start records again', async () => {
    const distribution = await resolveDistribution();
    process.env.KAFKA_DRILL_CACHE = tempDir('class-data-sharing-short');
    const sharing = await classDataSharing(distribution);
    const recording = sharing.recordOptions[0]!.replace('-XX:DumpLoadedClassList=', '');
    writeFileSync(recording, 'java/lang/Object id: 0\njava/lang/String id: 1\n');
    await sharing.keepRecording();
    expect(readdirSync(join(process.env.KAFKA_DRILL_CACHE, 'class-data-sharing'))).toEqual([]);
    expect((await classDataSharing(distribution)).recordOptions).toHaveLength(1);
  });
});
