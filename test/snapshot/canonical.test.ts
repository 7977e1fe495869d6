import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson, computeDigest, serializeSnapshot } from '../../src/snapshot/canonical.js';
import { sampleSnapshotContent } from './sample.js';

const fixtureText = readFileSync(new URL('./valid-snapshot.json', import.meta.url), 'utf8');

/** Deterministic shuffle: reverse every array and every object's key order, at every depth. */
function scrambled<T>(value: T): T {
  if (Array.isArray(value)) return value.map(scrambled).reverse() as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, inner]) => [key, scrambled(inner)]),
    ) as T;
  }
  return value;
}

describe('canonical form', () => {
  it('is what the fixture file holds', () => {
    expect(serializeSnapshot(sampleSnapshotContent())).toBe(fixtureText);
  });

  it('gives identical bytes for the same cluster listed in another order', () => {
    const shuffled = scrambled(sampleSnapshotContent());
    expect(serializeSnapshot(shuffled)).toBe(serializeSnapshot(sampleSnapshotContent()));
  });

  it('differs between two captures only in capturedAt', () => {
    const later = { ...sampleSnapshotContent() };
    later.source = { ...later.source, capturedAt: '2025-01-16T02:00:00.000Z' };
    const changedLines = serializeSnapshot(later)
      .split('\n')
      .filter((line, index) => line !== fixtureText.split('\n')[index]);
    expect(changedLines).toEqual([expect.stringMatching(/^ {2}"digest": "sha256:/), expect.stringMatching(/^ {4}"capturedAt": "2025-01-16/)]);
  });

  it('sorts keys like strings, even integer-like broker ids, and indents by two spaces', () => {
    expect(canonicalJson({ b: [], '2': { y: 1, x: null }, '10': {} })).toBe('{\n  "10": {},\n  "2": {\n    "x": null,\n    "y": 1\n  },\n  "b": []\n}\n');
  });
});

describe('computeDigest', () => {
  it('ignores the digest field and the order of collections', () => {
    const content = sampleSnapshotContent();
    const digest = computeDigest(content);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(computeDigest({ ...scrambled(content), digest: 'sha256:' + '0'.repeat(64) })).toBe(digest);
  });

  it('changes when any value changes', () => {
    const content = sampleSnapshotContent();
    content.topics[0]!.partitionOffsets[0]!.logEndOffset += 1;
    expect(computeDigest(content)).not.toBe(computeDigest(sampleSnapshotContent()));
  });
});

describe('serializeSnapshot', () => {
  it('refuses to write a snapshot that breaks the schema', () => {
    const content = sampleSnapshotContent();
    content.topics[0]!.partitions = 0;
    expect(() => serializeSnapshot(content)).toThrow('refusing to write an invalid snapshot: topics[1].partitions: expected a whole number ≥ 1, got 0');
  });
});
