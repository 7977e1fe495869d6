import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { findJsonSyntaxProblem } from '../../src/snapshot/json-syntax.js';
import { loadSnapshot, parseSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import { sampleSnapshotContent } from './sample.js';
import { tempDir } from '../support/temp.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const validFile = join(here, 'valid-snapshot.json');
const badFile = (name: string) => join(here, 'bad', name);

describe('loadSnapshot', () => {
  it('loads the valid fixture', async () => {
    const snapshot = await loadSnapshot(validFile);
    expect(snapshot.topics.map((topic) => topic.name)).toEqual(['orders', 'payments']);
    expect(snapshot.clusterConfigs.clusterDefault['listener.name.internal.ssl.keystore.password']).toEqual({
      redacted: true,
      source: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
    });
  });

  // Each file in test/snapshot/bad/ and the exact message it must produce.
  const badInputs: [file: string, message: (file: string) => string][] = [
    ['truncated.json', (file) => `${file}: not valid JSON: unexpected end of input at line 32 column 5`],
    ['partitions-as-string.json', (file) => `${file}: topics[1].partitions: expected a whole number ≥ 1, got "3"`],
    ['unknown-version.json', (file) => `${file}: version: unknown snapshot format version 2 (this kafka-drill reads version 1)`],
    ['wrong-format.json', (file) => `${file}: format: expected "kafka-drill/snapshot", got "kafka-drill/spec" — not a kafka-drill snapshot`],
    ['duplicate-topic.json', (file) => `${file}: topics[2].name: duplicate topic "orders" (also at topics[0])`],
    ['scram-password.json', (file) => `${file}: scramUsers[0].credentials[0].password: unknown field`],
    ['missing-digest.json', (file) => `${file}: digest: missing (expected "sha256:" followed by 64 lowercase hex digits)`],
    ['log-start-after-end.json', (file) => `${file}: topics[0].partitionOffsets[0].logStartOffset: 500 is after logEndOffset 100`],
    [
      'tampered.json',
      (file) =>
        `${file}: digest: does not match the content (expected sha256:0e6cf05c56c7488c5ee7bc770758b4cfc4feba2d6b5c940bd4b342a928fad524, ` +
        `computed sha256:51e7c886396ec104696cff7c75c39cbad19f42d64905f51996ba76a365dc0a58) — the file was changed after capture`,
    ],
  ];

  it('has a case for every file in the bad corpus', async () => {
    expect((await readdir(join(here, 'bad'))).sort()).toEqual(badInputs.map(([file]) => file).sort());
  });

  it.each(badInputs)('refuses bad/%s with an exact message', async (name, message) => {
    const file = badFile(name);
    const error = await loadSnapshot(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(message(file));
  });

  it('never echoes a sneaked-in secret', async () => {
    const error = await loadSnapshot(badFile('scram-password.json')).catch((caught: unknown) => caught);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('names a file it cannot read', async () => {
    await expect(loadSnapshot(join(here, 'no-such-snapshot.json'))).rejects.toThrow(`${join(here, 'no-such-snapshot.json')}: cannot read the snapshot: no such file`);
  });
});

describe('parseSnapshot', () => {
  it('refuses the snapshot when any single byte of content changes', async () => {
    const text = await readFile(validFile, 'utf8');
    const tampered = text.replace('"logEndOffset": 101', '"logEndOffset": 102');
    expect(tampered).not.toBe(text);
    expect(() => parseSnapshot(tampered, 'x.json')).toThrow(/^x\.json: digest: does not match the content \(expected sha256:[0-9a-f]{64}, computed sha256:[0-9a-f]{64}\)/);
  });

  it('accepts the same content reformatted and reordered: the digest covers content, not layout', async () => {
    const document = JSON.parse(await readFile(validFile, 'utf8')) as { topics: unknown[] };
    document.topics.reverse();
    expect(parseSnapshot(JSON.stringify(document), 'x.json').topics).toHaveLength(2);
  });

  it('lists every problem of a document with several', () => {
    const document = JSON.parse(JSON.stringify({ ...sampleSnapshotContent(), digest: 'sha256:' + 'a'.repeat(64) }));
    document.topics[0].replicationFactor = -1;
    document.acls[0].permissionType = 'MAYBE';
    expect(() => parseSnapshot(JSON.stringify(document), 'x.json')).toThrow(
      'x.json: topics[0].replicationFactor: expected a whole number ≥ 1, got -1\n' + 'x.json: acls[0].permissionType: expected one of "ALLOW", "DENY", got "MAYBE"',
    );
  });

  it('reports a JSON syntax error at its line and column', () => {
    expect(() => parseSnapshot('{\n  "format": "kafka-drill/snapshot",\n  "version": 1,,\n}', 'x.json')).toThrow(
      'x.json: not valid JSON: unexpected character "," at line 3 column 16',
    );
  });
});

describe('writeSnapshot', () => {
  it('writes the canonical text, loadable again, and leaves no temporary file', async () => {
    const directory = tempDir('snapshot');
    const file = join(directory, 'snapshot.json');
    const digest = await writeSnapshot(file, sampleSnapshotContent());
    expect(await readFile(file, 'utf8')).toBe(await readFile(validFile, 'utf8'));
    expect((await loadSnapshot(file)).digest).toBe(digest);
    expect(await readdir(directory)).toEqual(['snapshot.json']);
  });

  it('leaves an existing file untouched when the new snapshot is invalid', async () => {
    const directory = tempDir('snapshot');
    const file = join(directory, 'snapshot.json');
    await writeFile(file, 'previous');
    const invalid = sampleSnapshotContent();
    invalid.scramUsers = [{ name: '', credentials: [] }];
    await expect(writeSnapshot(file, invalid)).rejects.toThrow('scramUsers[0].name: expected a non-empty string, got ""');
    expect(await readFile(file, 'utf8')).toBe('previous');
    expect(await readdir(directory)).toEqual(['snapshot.json']);
  });
});

describe('findJsonSyntaxProblem', () => {
  it('accepts what JSON.parse accepts, within the depth limit', () => {
    for (const text of ['{}', '[]', '0', '-1.5e3', '"a\\u00e9\\n"', '{"a":[1,{"b":null}],"c":true,"d":false}', ' [ [ ] , { } ] ']) {
      expect(findJsonSyntaxProblem(text), text).toBeUndefined();
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it('names the first syntax problem by line and column', () => {
    expect(findJsonSyntaxProblem('{\n  "a": 1,\n  "b": tru\n}')).toEqual({ kind: 'syntax', reason: 'unexpected character "\\n"', line: 3, column: 11, path: [] });
    expect(findJsonSyntaxProblem('[1, 2')).toMatchObject({ reason: 'unexpected end of input', line: 1, column: 6 });
    expect(findJsonSyntaxProblem('{} x')).toMatchObject({ reason: 'unexpected character "x" after the end of the document' });
  });

  it('refuses a key given twice, compared after unescaping, with the path to it', () => {
    expect(findJsonSyntaxProblem('{"topics":[{"name":"a"},{"name":"b","n\\u0061me":"c"}]}')).toEqual({
      kind: 'duplicate-key',
      reason: 'duplicate key "name"',
      line: 1,
      column: 37,
      path: ['topics', 1, 'name'],
    });
    expect(findJsonSyntaxProblem('[{"a":1},{"a":1}]')).toBeUndefined();
  });

  it('refuses nesting past the limit without recursing, however deep the input', () => {
    expect(findJsonSyntaxProblem('['.repeat(64) + ']'.repeat(64))).toBeUndefined();
    expect(findJsonSyntaxProblem('['.repeat(65) + ']'.repeat(65))).toMatchObject({ kind: 'too-deep', reason: 'nested more than 64 levels deep', column: 65 });
    // A million levels would overflow any recursive walk; the scan stops at the limit.
    expect(findJsonSyntaxProblem('{"a":'.repeat(1_000_000) + '1' + '}'.repeat(1_000_000))).toMatchObject({ kind: 'too-deep', line: 1, column: 64 * 5 + 1 });
  });
});
