import { describe, expect, it } from 'vitest';
import { computeDigest, serializeSnapshot } from '../../src/snapshot/canonical.js';
import { parseSnapshot } from '../../src/snapshot/load.js';
import type { SnapshotContent } from '../../src/snapshot/schema.js';
import { findStreamsApplications, streamsApplicationOfObject, streamsApplicationsOf, streamsTopicOwner } from '../../src/snapshot/streams.js';
import { validateSnapshot } from '../../src/snapshot/validate.js';
import { renderHtml } from '../../src/report/html.js';
import { renderSummary } from '../../src/report/summary.js';
import { loadFixture } from '../report/fixtures.js';
import { sampleSnapshotContent } from './sample.js';

function topic(name: string): SnapshotContent['topics'][number] {
  return { name, partitions: 1, replicationFactor: 1, configs: {}, partitionOffsets: [{ partition: 0, logStartOffset: 0, logEndOffset: 3 }] };
}

/** The sample plus a Streams application `word-count` (group, changelog, repartition) and a look-alike topic of no application. */
function withStreams(): SnapshotContent {
  const sample = sampleSnapshotContent();
  return {
    ...sample,
    topics: [...sample.topics, topic('word-count-counts-store-changelog'), topic('word-count-KSTREAM-AGGREGATE-0000000003-repartition'), topic('audit-changelog')],
    consumerGroups: [...sample.consumerGroups, { groupId: 'word-count', protocolType: 'consumer', offsets: [] }],
    streamsApplications: [
      {
        applicationId: 'word-count',
        internalTopics: [
          { name: 'word-count-KSTREAM-AGGREGATE-0000000003-repartition', kind: 'repartition' },
          { name: 'word-count-counts-store-changelog', kind: 'changelog' },
        ],
      },
    ],
  };
}

describe('Streams internal topics', () => {
  it('are tied to the consumer group whose id prefixes them, by kind', () => {
    expect(streamsTopicOwner('word-count-counts-store-changelog', ['orders', 'word-count'])).toEqual({ applicationId: 'word-count', kind: 'changelog' });
    expect(streamsTopicOwner('word-count-KSTREAM-AGGREGATE-0000000003-repartition', ['word-count'])).toEqual({ applicationId: 'word-count', kind: 'repartition' });
  });

  it('are not marked by their suffix alone, nor without a store name between id and suffix', () => {
    expect(streamsTopicOwner('audit-changelog', ['word-count'])).toBeUndefined();
    expect(streamsTopicOwner('audit-changelog', ['audit'])).toBeUndefined();
    expect(streamsTopicOwner('word-count-counts', ['word-count'])).toBeUndefined();
    expect(streamsTopicOwner('word-countx-store-changelog', ['word-count'])).toBeUndefined();
  });

  it('go to the longest application id when two ids prefix the name', () => {
    expect(streamsTopicOwner('a-b-store-changelog', ['a', 'a-b'])).toEqual({ applicationId: 'a-b', kind: 'changelog' });
    expect(streamsTopicOwner('a-b-store-changelog', ['a-b', 'a'])).toEqual({ applicationId: 'a-b', kind: 'changelog' });
    expect(streamsTopicOwner('a-b-store-changelog', ['a'])).toEqual({ applicationId: 'a', kind: 'changelog' });
  });

  it('are listed per application, in name order, and applications without internal topics are left out', () => {
    const topics = ['z-app-s-changelog', 'orders', 'app-s2-changelog', 'app-s1-changelog', 'app-x-repartition'];
    expect(findStreamsApplications(topics, ['app', 'z-app', 'idle'])).toEqual([
      {
        applicationId: 'app',
        internalTopics: [
          { name: 'app-s1-changelog', kind: 'changelog' },
          { name: 'app-s2-changelog', kind: 'changelog' },
          { name: 'app-x-repartition', kind: 'repartition' },
        ],
      },
      { applicationId: 'z-app', internalTopics: [{ name: 'z-app-s-changelog', kind: 'changelog' }] },
    ]);
  });
});

describe('the snapshot streamsApplications section', () => {
  it('is optional: a snapshot without it keeps its digest and is read as before', () => {
    const sample = sampleSnapshotContent();
    expect(sample.streamsApplications).toBeUndefined();
    expect(serializeSnapshot(sample)).not.toContain('streamsApplications');
    expect(parseSnapshot(serializeSnapshot(sample), 'x.json').streamsApplications).toBeUndefined();
  });

  it('round-trips, is part of the digest and sorted canonically', () => {
    const content = withStreams();
    const parsed = parseSnapshot(serializeSnapshot(content), 'x.json');
    expect(parsed.streamsApplications?.[0]?.internalTopics.map((entry) => entry.name)).toEqual([
      'word-count-KSTREAM-AGGREGATE-0000000003-repartition',
      'word-count-counts-store-changelog',
    ]);
    expect(computeDigest(content)).not.toBe(computeDigest({ ...content, streamsApplications: undefined }));
    const reversed = { ...content, streamsApplications: [{ ...content.streamsApplications![0]!, internalTopics: [...content.streamsApplications![0]!.internalTopics].reverse() }] };
    expect(serializeSnapshot(reversed)).toBe(serializeSnapshot(content));
  });

  it('refuses an application that is no consumer group of the snapshot, and a topic it does not hold or that Streams would not name so', () => {
    const content = withStreams();
    content.streamsApplications = [
      { applicationId: 'ghost', internalTopics: [{ name: 'ghost-s-changelog', kind: 'changelog' }] },
      {
        applicationId: 'word-count',
        internalTopics: [
          { name: 'word-count-counts-store-changelog', kind: 'repartition' },
          { name: 'audit-changelog', kind: 'changelog' },
        ],
      },
    ];
    const validation = validateSnapshot({ ...content, digest: `sha256:${'a'.repeat(64)}` });
    expect(validation.ok).toBe(false);
    expect(validation.ok ? [] : validation.problems).toEqual([
      { path: 'streamsApplications[0].applicationId', message: 'no consumer group "ghost" in consumerGroups' },
      { path: 'streamsApplications[0].internalTopics[0].name', message: 'no topic "ghost-s-changelog" in topics' },
      {
        path: 'streamsApplications[1].internalTopics[0].name',
        message: 'is not named like a repartition topic of "word-count" (word-count-<name>-repartition)',
      },
      { path: 'streamsApplications[1].internalTopics[1].name', message: 'is not named like a changelog topic of "word-count" (word-count-<name>-changelog)' },
    ]);
  });

  it('is derived from topics and groups for a snapshot from before the marking', () => {
    const old = { ...withStreams(), streamsApplications: undefined };
    expect(streamsApplicationsOf(old)).toEqual(withStreams().streamsApplications);
  });
});

describe('verify differences of a Streams application', () => {
  const applications = withStreams().streamsApplications!;

  it('are its group, its group offsets and its internal topics (with their configs)', () => {
    expect(streamsApplicationOfObject('group word-count', applications)).toBe('word-count');
    expect(streamsApplicationOfObject('group word-count offset words-0', applications)).toBe('word-count');
    expect(streamsApplicationOfObject('topic word-count-counts-store-changelog', applications)).toBe('word-count');
    expect(streamsApplicationOfObject('topic word-count-counts-store-changelog config cleanup.policy', applications)).toBe('word-count');
  });

  it('are not another group or topic sharing the prefix', () => {
    expect(streamsApplicationOfObject('group word-count-2', applications)).toBeUndefined();
    expect(streamsApplicationOfObject('topic audit-changelog', applications)).toBeUndefined();
    expect(streamsApplicationOfObject('topic word-count-counts-store-changelog-old', applications)).toBeUndefined();
  });

  it('are shown under their application in summary.md and report.html', () => {
    const result = loadFixture('upgrade-gate-failed');
    const run = result.runs.find((candidate) => candidate.verify?.differences.some((difference) => difference.classification === 'drift'))!;
    const drift = run.verify!.differences.find((difference) => difference.classification === 'drift')!;
    drift.streamsApplication = 'word-count';
    expect(renderSummary(result)).toContain(`${drift.object} (Streams application word-count)`);
    expect(renderHtml(result)).toContain('· Streams application word-count');
  });
});
