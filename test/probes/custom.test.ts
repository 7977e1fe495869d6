import { describe, expect, it } from 'vitest';
import { CustomProbe } from '../../src/probes/custom.js';
import type { ProbeContext } from '../../src/probes/probe.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJunit } from '../../src/report/junit.js';
import { parseResult, serializeResult } from '../../src/model/result.js';
import { loadFixture } from '../report/fixtures.js';
import { snapshotOf } from './cluster.js';

// These probe modules never connect: the context only has to carry what they read.
const context = {
  connection: { bootstrap: ['127.0.0.1:1'] },
  snapshot: snapshotOf(),
  credentials: new Map(),
  environment: { bootstrap: ['127.0.0.1:1'], security: 'plaintext', kafkaVersion: '4.3.1' },
  specDir: new URL('./fixtures/', import.meta.url).pathname,
  signal: new AbortController().signal,
  timeoutMs: 10_000,
  committedOffsetsRead: Promise.resolve(),
} as unknown as ProbeContext;

describe('custom probe answers are validated at the boundary', () => {
  it('an unknown key in an evidence item is an error naming the key, not a crash later', async () => {
    const verdict = await new CustomProbe('extra', 'extra', 'extra-key-probe.mjs', 10_000).check(context);
    expect(verdict.status).toBe('error');
    expect(verdict.evidence).toEqual([expect.objectContaining({ outcome: 'failed', observed: 'invalid answer: evidence[0]: Unrecognized key: "latencyMs"' })]);
  });

  it('wrong types are an error naming each path', async () => {
    const verdict = await new CustomProbe('types', 'types', 'wrong-type-probe.mjs', 10_000).check(context);
    expect(verdict.status).toBe('error');
    expect(verdict.evidence[0]!.observed).toMatch(/^invalid answer: status: .*; evidence\[0\]\.expected: /);
  });

  it("keeps each item's own outcome; a failed item fails the probe even when it answered passed", async () => {
    const verdict = await new CustomProbe('own', 'own', 'own-outcomes-probe.mjs', 10_000).check(context);
    expect(verdict.status).toBe('failed');
    expect(verdict.evidence.map((item) => item.outcome)).toEqual(['passed', 'skipped', 'failed']);
  });

  it('an invalid answer still renders in every report', async () => {
    const verdict = await new CustomProbe('extra', 'extra', 'extra-key-probe.mjs', 10_000).check(context);
    const result = structuredClone(loadFixture('passed'));
    result.runs[0]!.probes = [{ id: 'extra', type: 'custom', name: 'extra', durationMs: 1, ...verdict }];
    parseResult(serializeResult(result), 'result.json');
    expect(renderHtml(result)).toContain('Unrecognized key: &quot;latencyMs&quot;');
    expect(renderJunit(result, { hostname: 'h' })).toContain('ProbeError');
  });
});
