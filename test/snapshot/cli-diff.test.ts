// The `diff` command (src/cli/diff.ts) lives with the snapshot tests because it is the snapshot diff's front end.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDiff } from '../../src/cli/diff.js';
import { exitCodeOf } from '../../src/errors.js';
import { writeSnapshot } from '../../src/snapshot/load.js';
import { sampleSnapshotContent } from './sample.js';
import { tempDir } from '../support/temp.js';

const validFile = fileURLToPath(new URL('./valid-snapshot.json', import.meta.url));

async function diff(...argv: string[]): Promise<{ exitCode: number; output: string }> {
  let output = '';
  const stdout = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  try {
    return { exitCode: await runDiff(argv, stdout), output };
  } catch (error) {
    return { exitCode: exitCodeOf(error), output: (error as Error).message };
  }
}

async function driftedSnapshot(): Promise<string> {
  const file = join(tempDir('diff'), 'drifted.json');
  const content = sampleSnapshotContent();
  content.topics.find((topic) => topic.name === 'orders')!.configs['retention.ms'] = { value: '1', source: 'DYNAMIC_TOPIC_CONFIG' };
  await writeSnapshot(file, content);
  return file;
}

describe('kafka-drill diff', () => {
  it('exits 0 when nothing drifted', async () => {
    expect(await diff(validFile, validFile)).toEqual({ exitCode: 0, output: 'no differences\n' });
  });

  it('exits 1 on drift and prints it', async () => {
    const result = await diff(validFile, await driftedSnapshot());
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('[topic-config] topic orders config retention.ms: expected "604800000", actual "1" — differs');
  });

  it('prints JSON with --json', async () => {
    const drifted = await driftedSnapshot();
    const result = await diff(validFile, drifted, '--json');
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.output) as { expected: string; actual: string; summary: unknown; differences: unknown[] };
    expect(report).toMatchObject({ expected: validFile, actual: drifted, summary: { total: 1, drift: 1, unrestorable: 0, expected: 0 } });
    expect(report.differences).toHaveLength(1);
  });

  it('exits 2 on a bad snapshot, naming the file', async () => {
    const bad = fileURLToPath(new URL('./bad/unknown-version.json', import.meta.url));
    expect(await diff(validFile, bad)).toEqual({
      exitCode: 2,
      output: `${bad}: version: unknown snapshot format version 2 (this kafka-drill reads version 1)`,
    });
  });

  it('exits 2 on wrong arguments', async () => {
    expect((await diff(validFile)).exitCode).toBe(2);
    expect((await diff(validFile, validFile, '--colour')).exitCode).toBe(2);
  });
});
