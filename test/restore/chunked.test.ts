import { describe, expect, it } from 'vitest';
import type { ProgressUpdate } from '../../src/model/progress.js';
import { withAdmin } from '../../src/kafka/admin.js';
import { describeAllAcls } from '../../src/kafka/acls.js';
import { chunkByWeight } from '../../src/kafka/request-limits.js';
import { retryTransient } from '../../src/kafka/retry.js';
import { describeScramCredentials } from '../../src/kafka/scram.js';
import type { PhaseResult } from '../../src/restore/phase.js';
import { restoreSnapshot } from '../../src/restore/restore.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { startForTest, waitFor } from '../support/kafka.js';
import { restorableSnapshot } from './sample.js';

/** The records a topic's creation writes, as the restore weighs it: the topic, its partitions, its configs. */
const topicWeight = (topic: Snapshot['topics'][number]) => 1 + topic.partitions + Object.keys(topic.configs).length;
const phase = (phases: PhaseResult[], name: string) => phases.find((p) => p.phase === name)!;

describe('restore split into requests under a per-request record limit', async () => {
  const environment = await startForTest({ security: 'scram' });

  it('creates every object through several requests per kind, and reports progress to the end', async () => {
    const snapshot = restorableSnapshot('chunk', 40);
    const updates: ProgressUpdate[] = [];
    const restored = await restoreSnapshot(
      environment.admin,
      snapshot,
      { phases: ['topics', 'security'], recordsPerRequest: 20, credentials: { '*': { generate: true } } },
      () => {},
      (update) => updates.push(update),
    );
    const topics = phase(restored.phases, 'topics');
    const security = phase(restored.phases, 'security');
    expect([topics.status, topics.counts]).toEqual(['passed', { created: 40, updated: 0, unchanged: 0, failed: 0 }]);
    expect([security.status, security.counts]).toEqual(['passed', { created: 2 + snapshot.acls.length + 3, updated: 0, unchanged: 0, failed: 0 }]);

    const topicChunks = chunkByWeight(snapshot.topics, topicWeight, 20).length;
    const aclChunks = Math.ceil(snapshot.acls.length / 20);
    expect(topicChunks).toBeGreaterThan(5);
    expect(aclChunks).toBe(5);
    // ListTopics, the validate-only CreateTopics asking which configs the target knows, one CreateTopics per chunk,
    // then ListTopics (backing off from 250 ms to 2 s) until the broker lists all 40 (at least once).
    expect(topics.requests - 2 - topicChunks).toBeGreaterThanOrEqual(1);
    // DescribeUserScramCredentials + one AlterUserScramCredentials per mechanism round (shop-reader has two),
    // DescribeAcls + a CreateAcls per chunk, DescribeClientQuotas + one AlterClientQuotas; then Metadata and,
    // until the broker shows the users and ACLs (at least once), DescribeUserScramCredentials + DescribeAcls.
    const writes = 1 + 2 + 1 + aclChunks + 1 + 1;
    expect(security.requests - writes - 1).toBeGreaterThanOrEqual(2);
    expect((security.requests - writes - 1) % 2).toBe(0);

    await withAdmin(environment.admin, async (admin) => {
      // The broker may answer before it has applied the last chunk's topics to its metadata.
      const metadata = await retryTransient(() => admin.metadata({ topics: snapshot.topics.map((t) => t.name), forceUpdate: true }));
      for (const topic of snapshot.topics) expect([topic.name, metadata.topics.get(topic.name)?.partitionsCount]).toEqual([topic.name, topic.partitions]);
      // ACLs reach the broker's authorizer (which DescribeAcls reads) after the controller commits them.
      const restoredAcls = async () => (await describeAllAcls(admin)).filter((acl) => acl.principal.startsWith('User:chunk-')).length;
      await waitFor(async () => (await restoredAcls()) >= snapshot.acls.length, 30_000, 'the restored ACLs').catch(() => {});
      expect(await restoredAcls()).toBe(snapshot.acls.length);
    });

    const last = (name: string) => updates.filter((u) => u.phase === name).at(-1);
    expect(last('topics')).toEqual({ phase: 'topics', done: 40, total: 40, unit: 'objects', ended: true });
    const securityTotal = snapshot.scramUsers.length + snapshot.acls.length + snapshot.quotas.length;
    expect(last('security')).toEqual({ phase: 'security', done: securityTotal, total: securityTotal, unit: 'objects', ended: true });
    // Progress moved in steps, one per request, not only at the end.
    expect(new Set(updates.filter((u) => u.phase === 'topics').map((u) => u.done)).size).toBeGreaterThan(topicChunks);
  });

  it('fails the drill for a declared credential source it cannot read, naming user and source, and invents no password', async () => {
    const snapshot = restorableSnapshot('cred', 2);
    delete process.env.KAFKA_DRILL_TEST_SURELY_UNSET;
    const restored = await restoreSnapshot(environment.admin, snapshot, {
      phases: ['security'],
      baseDir: '/nonexistent-dir',
      credentials: { 'cred-writer': { env: 'KAFKA_DRILL_TEST_SURELY_UNSET' }, 'cred-reader': { file: 'reader.password' } },
    });
    const security = phase(restored.phases, 'security');
    expect(security.status).toBe('failed');
    const unreadable = security.findings.filter((f) => f.code === 'credential-source-unreadable');
    expect(unreadable.map((f) => [f.severity, f.object])).toEqual([
      ['error', 'scram user cred-writer'],
      ['error', 'scram user cred-reader'],
    ]);
    expect(unreadable[0]!.message).toContain('environment variable KAFKA_DRILL_TEST_SURELY_UNSET is not set');
    expect(unreadable[1]!.message).toMatch(/file reader\.password cannot be read \(.*reader\.password: cannot read the password file: no such file/);
    expect(security.counts.failed).toBe(2);
    expect(security.manualSteps).toEqual([]);
    expect(restored.credentials.size).toBe(0);
    const created = await withAdmin(environment.admin, (admin) => describeScramCredentials(admin, ['cred-writer', 'cred-reader']));
    expect(created).toEqual([]);
  });

  // Last in the file: it kills the broker.
  it('keeps the results of requests sent before a failure, and a phase that throws keeps its duration and requests', async () => {
    const snapshot = restorableSnapshot('crash', 30);
    const firstChunk = chunkByWeight(snapshot.topics, topicWeight, 12)[0]!;
    let killed = false;
    const restored = await restoreSnapshot(
      environment.admin,
      snapshot,
      { phases: ['topics', 'security'], recordsPerRequest: 12, credentials: { '*': { generate: true } } },
      () => {},
      (update) => {
        if (!killed && update.phase === 'topics' && update.done >= firstChunk.length) {
          killed = true;
          process.kill(environment.brokers[0]!.pid, 'SIGKILL');
        }
      },
    );
    const topics = phase(restored.phases, 'topics');
    expect(topics.status).toBe('failed');
    expect(topics.counts.created).toBe(firstChunk.length);
    expect(topics.counts.failed).toBe(snapshot.topics.length - firstChunk.length);
    const refused = topics.findings.filter((f) => f.code === 'topic-refused');
    expect(refused.map((f) => f.object).sort()).toEqual(
      snapshot.topics
        .slice(firstChunk.length)
        .map((t) => `topic ${t.name}`)
        .sort(),
    );
    expect(refused.every((f) => f.message.startsWith('the request creating it failed:'))).toBe(true);
    const remainingChunks = chunkByWeight(snapshot.topics, topicWeight, 12).length - 1;
    // ListTopics, the validate-only CreateTopics asking which configs the target knows, the first chunk,
    // each failed chunk sent twice, then one ListTopics (failing) waiting for the created ones.
    expect(topics.requests).toBe(1 + 1 + 1 + 2 * remainingChunks + 1);
    expect(topics.findings.filter((f) => f.code === 'topic-not-served').map((f) => f.severity)).toEqual(['warning']);

    const security = phase(restored.phases, 'security');
    expect(security.status).toBe('failed');
    expect(security.findings.map((f) => f.code)).toEqual(['phase-crashed']);
    expect(security.requests).toBeGreaterThanOrEqual(1);
    // Against a killed broker the phase can fail within the same millisecond: kept means present and measured.
    expect(Number.isFinite(Date.parse(security.startedAt))).toBe(true);
    expect(security.durationMs).toBeGreaterThanOrEqual(0);
  });
});
