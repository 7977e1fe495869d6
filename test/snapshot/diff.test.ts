import { describe, expect, it } from 'vitest';
import { compareSnapshots, diffSnapshots, renderDiffText, summarizeDiff, type Difference } from '../../src/snapshot/diff.js';
import type { SnapshotContent } from '../../src/snapshot/schema.js';
import { sampleSnapshotContent } from './sample.js';

function sample(change: (snapshot: SnapshotContent) => void = () => {}): SnapshotContent {
  const snapshot = sampleSnapshotContent();
  change(snapshot);
  return snapshot;
}

/** The restored cluster as a re-capture sees it: new id, new time, everything listed in another order. */
function recaptured(change: (snapshot: SnapshotContent) => void = () => {}): SnapshotContent {
  return sample((snapshot) => {
    snapshot.source = { ...snapshot.source, clusterId: 'bmV3LWNsdXN0ZXItaWQ', capturedAt: '2025-01-15T02:10:00.000Z', toolVersion: '0.2.0' };
    snapshot.topics.reverse();
    snapshot.acls.reverse();
    snapshot.consumerGroups[0]!.offsets.reverse();
    snapshot.quotas[0]!.entity.reverse();
    snapshot.skippedTopics = [{ name: '__consumer_offsets', reason: 'internal' }];
    change(snapshot);
  });
}

const topic = (snapshot: SnapshotContent, name: string) => snapshot.topics.find((candidate) => candidate.name === name)!;

describe('diffSnapshots', () => {
  it('finds nothing between a snapshot and its faithful re-capture', () => {
    expect(diffSnapshots(sample(), recaptured())).toEqual([]);
  });

  it('reports a changed topic config as drift', () => {
    const actual = recaptured((snapshot) => {
      topic(snapshot, 'orders').configs['retention.ms'] = { value: '86400000', source: 'DYNAMIC_TOPIC_CONFIG' };
    });
    expect(diffSnapshots(sample(), actual)).toEqual<Difference[]>([
      {
        kind: 'topic-config',
        object: 'topic orders config retention.ms',
        expected: '604800000',
        actual: '86400000',
        classification: 'drift',
        reason: 'differs',
      },
    ]);
  });

  it('ignores values a topic inherits from broker configs', () => {
    const actual = recaptured((snapshot) => {
      topic(snapshot, 'orders').configs['segment.bytes'] = { value: '1048576', source: 'STATIC_BROKER_CONFIG' };
    });
    expect(diffSnapshots(sample(), actual)).toEqual([]);
  });

  it('reports a missing topic once, not once per setting', () => {
    const actual = recaptured((snapshot) => {
      snapshot.topics = snapshot.topics.filter((candidate) => candidate.name !== 'payments');
    });
    expect(diffSnapshots(sample(), actual)).toEqual<Difference[]>([
      {
        kind: 'topic',
        object: 'topic payments',
        expected: { partitions: 2, replicationFactor: 3 },
        actual: null,
        classification: 'drift',
        reason: 'missing from the actual cluster',
      },
    ]);
  });

  it('classifies redacted values as unrestorable or says nothing, never drift', () => {
    const key = 'listener.name.internal.ssl.keystore.password';
    const missing = recaptured((snapshot) => {
      delete snapshot.clusterConfigs.clusterDefault[key];
    });
    expect(diffSnapshots(sample(), missing)).toEqual<Difference[]>([
      {
        kind: 'cluster-config',
        object: `cluster config ${key}`,
        expected: { redacted: true },
        actual: null,
        classification: 'unrestorable',
        reason: 'sensitive value not in the snapshot; it must come from a credential source or a manual step',
      },
    ]);

    const redactedOnlyInActual = recaptured((snapshot) => {
      topic(snapshot, 'orders').configs['retention.ms'] = { redacted: true, source: 'DYNAMIC_TOPIC_CONFIG' };
      snapshot.connect!.connectors[0]!.config['api.token'] = 'plain now';
    });
    const differences = diffSnapshots(sample(), redactedOnlyInActual);
    expect(differences.map((difference) => [difference.object, difference.classification])).toEqual([
      ['topic orders config retention.ms', 'unrestorable'],
      ['connector orders-sink config api.token', 'unrestorable'],
    ]);
    // Redacted on both sides (the unchanged keystore password) is not reported at all.
  });

  it('marks declared differences as expected, matching by kind and glob', () => {
    const actual = recaptured((snapshot) => {
      for (const each of snapshot.topics) each.replicationFactor = 1;
    });
    const differences = diffSnapshots(sample(), actual, {
      expected: [{ kind: 'replication-factor', object: 'topic *', reason: 'the drill environment has one broker' }],
    });
    expect(differences.map((difference) => [difference.object, difference.classification, difference.reason])).toEqual([
      ['topic orders', 'expected', 'the drill environment has one broker'],
      ['topic payments', 'expected', 'the drill environment has one broker'],
    ]);
    const wrongKind = diffSnapshots(sample(), actual, { expected: [{ kind: 'partitions', object: 'topic *', reason: 'x' }] });
    expect(summarizeDiff(wrongKind)).toEqual({ total: 2, expected: 0, unrestorable: 0, drift: 2 });
  });

  it('compares log end offsets only when asked to compare data', () => {
    const emptyTopics = recaptured((snapshot) => {
      for (const each of snapshot.topics) each.partitionOffsets = each.partitionOffsets.map((entry) => ({ ...entry, logStartOffset: 0, logEndOffset: 0 }));
    });
    const withData = diffSnapshots(sample(), emptyTopics);
    expect(withData).toHaveLength(5);
    expect(withData[0]).toEqual<Difference>({
      kind: 'log-end-offset',
      object: 'topic orders partition 0',
      expected: 100,
      actual: 0,
      classification: 'drift',
      reason: 'data differs: log end offset',
    });
    expect(diffSnapshots(sample(), emptyTopics, { compareData: false })).toEqual([]);
  });

  it('compares committed offsets and metadata but not leader epochs', () => {
    const actual = recaptured((snapshot) => {
      const offsets = snapshot.consumerGroups[0]!.offsets;
      offsets.find((committed) => committed.topic === 'orders')!.leaderEpoch = 0;
      offsets.find((committed) => committed.topic === 'payments' && committed.partition === 0)!.offset = 7;
      // A commit without metadata: the snapshot says null, Kafka reports "" — the same thing, not drift.
      offsets.find((committed) => committed.topic === 'payments' && committed.partition === 1)!.metadata = '';
    });
    expect(diffSnapshots(sample(), actual)).toEqual<Difference[]>([
      {
        kind: 'consumer-group-offset',
        object: 'group billing-payments offset payments-0',
        expected: { offset: 41, metadata: '' },
        actual: { offset: 7, metadata: '' },
        classification: 'drift',
        reason: 'differs',
      },
    ]);
  });

  it('reports security objects: ACLs, SCRAM credentials, quotas', () => {
    const actual = recaptured((snapshot) => {
      snapshot.acls = snapshot.acls.filter((acl) => acl.permissionType !== 'DENY');
      snapshot.scramUsers[0]!.credentials = [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }];
      snapshot.quotas[1]!.values = { request_percentage: 50 };
    });
    expect(diffSnapshots(sample(), actual).map((difference) => `${difference.kind} | ${difference.object}`)).toEqual([
      'acl | acl DENY User:* DELETE on TOPIC * (LITERAL) from *',
      'scram-credential | scram-user billing SCRAM-SHA-256',
      'scram-credential | scram-user billing SCRAM-SHA-512',
      'quota | quota user=<default> consumer_byte_rate',
    ]);
  });

  it('reports connectors: offsets, state, and Connect missing on one side', () => {
    const actual = recaptured((snapshot) => {
      const source = snapshot.connect!.connectors.find((connector) => connector.name === 'orders-source')!;
      source.state = 'FAILED';
      source.offsets = [{ partition: { filename: '/tmp/in' }, offset: { position: 0 } }];
    });
    expect(diffSnapshots(sample(), actual).map((difference) => `${difference.kind} | ${difference.object}`)).toEqual([
      'connector-state | connector orders-source',
      'connector-offset | connector orders-source offset {"filename":"/tmp/a"}',
      'connector-offset | connector orders-source offset {"filename":"/tmp/in"}',
    ]);

    const withoutConnect = recaptured((snapshot) => {
      delete snapshot.connect;
    });
    expect(diffSnapshots(sample(), withoutConnect)).toEqual<Difference[]>([
      {
        kind: 'connect',
        object: 'connect',
        expected: { connectors: 2 },
        actual: null,
        classification: 'drift',
        reason: 'Connect was captured only in the expected snapshot',
      },
    ]);
  });
});

describe('compareSnapshots matched count', () => {
  const objectsOf = (snapshot: SnapshotContent) =>
    snapshot.topics.length +
    1 +
    Object.keys(snapshot.clusterConfigs.perBroker).length +
    snapshot.acls.length +
    snapshot.scramUsers.length +
    snapshot.quotas.length +
    snapshot.consumerGroups.length +
    (snapshot.connect?.connectors.length ?? 0);

  it('counts every object of a faithful re-capture as matched', () => {
    const expected = sample();
    expect(compareSnapshots(expected, recaptured())).toEqual({ differences: [], matched: objectsOf(expected) });
  });

  it('counts an object with several differences once as not matched, and a missing object not at all', () => {
    const expected = sample();
    const actual = recaptured((snapshot) => {
      topic(snapshot, 'orders').configs['retention.ms'] = { value: '1', source: 'DYNAMIC_TOPIC_CONFIG' };
      topic(snapshot, 'orders').replicationFactor += 1;
      snapshot.acls.pop();
    });
    const { differences, matched } = compareSnapshots(expected, actual);
    expect(differences).toHaveLength(3);
    expect(matched).toBe(objectsOf(expected) - 2);
  });
});

describe('renderDiffText', () => {
  it('lists drift first and ends with the counts', () => {
    const actual = recaptured((snapshot) => {
      topic(snapshot, 'orders').replicationFactor = 1;
      topic(snapshot, 'orders').configs['retention.ms'] = { value: '1', source: 'DYNAMIC_TOPIC_CONFIG' };
      delete snapshot.clusterConfigs.clusterDefault['listener.name.internal.ssl.keystore.password'];
    });
    const differences = diffSnapshots(sample(), actual, {
      expected: [{ kind: 'replication-factor', object: 'topic orders', reason: 'one broker' }],
    });
    expect(renderDiffText(differences)).toBe(
      [
        'drift (1):',
        '  [topic-config] topic orders config retention.ms: expected "604800000", actual "1" — differs',
        'unrestorable (1):',
        '  [cluster-config] cluster config listener.name.internal.ssl.keystore.password: expected (redacted), actual absent — sensitive value not in the snapshot; it must come from a credential source or a manual step',
        'expected (1):',
        '  [replication-factor] topic orders: expected 3, actual 1 — one broker',
        '1 drift, 1 unrestorable, 1 expected',
        '',
      ].join('\n'),
    );
    expect(renderDiffText([])).toBe('no differences\n');
  });
});
