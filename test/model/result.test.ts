import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResult, Result, resultJsonChunks, writeResult } from '../../src/model/result.js';
import { InputError } from '../../src/errors.js';
import { fixtureFile, fixtureNames, loadFixture } from '../report/fixtures.js';
import { tempDir } from '../support/temp.js';

function parseModified(change: (json: any) => void): () => unknown {
  const json = JSON.parse(readFileSync(fixtureFile('upgrade-gate-failed'), 'utf8'));
  change(json);
  return () => parseResult(JSON.stringify(json), 'result.json');
}

describe('result.json', () => {
  it.each(fixtureNames)('parses the %s fixture', (name) => {
    expect(loadFixture(name).format).toBe('kafka-drill/result');
  });

  it('names the file and the path of an unknown key', () => {
    const parse = parseModified((json) => (json.runs[1].phases[2].bogus = 1));
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(/^result\.json: runs\[1\]\.phases\[2\]: Unrecognized key: "bogus"$/);
  });

  it('names the path of a wrong enum value', () => {
    expect(parseModified((json) => (json.runs[0].probes[0].status = 'green'))).toThrow(/^result\.json: runs\[0\]\.probes\[0\]\.status: /);
    expect(parseModified((json) => (json.verdict = 'ok'))).toThrow(/^result\.json: verdict: /);
  });

  it('rejects verify counts that disagree with the differences listed', () => {
    expect(parseModified((json) => (json.runs[1].verify.counts.drift = 0))).toThrow(
      /^result\.json: runs\[1\]\.verify\.counts\.drift: is 0 but 2 differences are classified drift$/,
    );
  });

  it('rejects another format or version, bad timestamps and digests', () => {
    expect(parseModified((json) => (json.version = 2))).toThrow(/^result\.json: version: /);
    expect(parseModified((json) => (json.startedAt = 'yesterday'))).toThrow(/^result\.json: startedAt: /);
    expect(parseModified((json) => (json.snapshot.sha256 = 'abc'))).toThrow(/^result\.json: snapshot\.sha256: expected 64 lowercase hex digits/);
    expect(parseModified((json) => (json.runs = []))).toThrow(/^result\.json: runs: /);
  });

  it('says when the text is not JSON', () => {
    expect(() => parseResult('{"format":', 'r.json')).toThrow(/^r\.json: \(root\): not valid JSON/);
  });

  it('writes what it reads, and refuses to write an invalid result', () => {
    const dir = tempDir('result');
    const result = loadFixture('upgrade-gate-failed');
    const file = writeResult(dir, result);
    expect(parseResult(readFileSync(file, 'utf8'), file)).toEqual(result);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(fixtureFile('upgrade-gate-failed'), 'utf8'));
    const broken = { ...result, verdict: 'maybe' } as unknown as typeof result;
    expect(() => writeResult(path.join(dir, 'other'), broken)).toThrow();
  });

  it('writes result.json in pieces, the same text as JSON.stringify of the whole, and never the whole at once', () => {
    for (const name of fixtureNames) {
      const result = JSON.parse(readFileSync(fixtureFile(name), 'utf8')) as Result;
      const pieces = [...resultJsonChunks(result)];
      expect(pieces.join(''), name).toBe(JSON.stringify(Result.parse(result), null, 2) + '\n');
      // Every evidence item and sample is a piece of its own: the longest piece is far shorter than the text.
      const evidence = result.runs.flatMap((run) => run.probes.flatMap((probe) => probe.evidence));
      if (evidence.length > 10) expect(Math.max(...pieces.map((piece) => piece.length)), name).toBeLessThan(pieces.join('').length / 5);
    }
  });

  it('refuses an invalid element of a long array when it comes to it, naming its path from the root', () => {
    const result = loadFixture('upgrade-gate-failed');
    const evidence = result.runs[1]!.probes[0]!.evidence;
    const broken = structuredClone(result);
    (broken.runs[1]!.probes[0]!.evidence[evidence.length - 1] as { outcome: string }).outcome = 'green';
    expect(() => [...resultJsonChunks(broken)]).toThrow(new RegExp(`"path": \\[\\s*"runs",\\s*1,\\s*"probes",\\s*0,\\s*"evidence",\\s*${evidence.length - 1},\\s*"outcome"`));
  });
});
