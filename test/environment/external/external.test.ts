import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes, incrementalAlterConfigsV1, type Admin } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { clientProperties } from '../../../src/environment/client-properties.js';
import { guardExternalTarget, markerTopic } from '../../../src/environment/external/external.js';
import { describeTopicAndBrokerConfigs, type DescribedConfig } from '../../../src/kafka/configs.js';
import { describeAllQuotas } from '../../../src/kafka/quotas.js';
import { loadSnapshot } from '../../../src/snapshot/load.js';
import { describeAllAcls } from '../../../src/kafka/acls.js';
import { withAdmin } from '../../../src/kafka/admin.js';
import { listAllGroups } from '../../../src/kafka/groups.js';
import { describeScramCredentials } from '../../../src/kafka/scram.js';
import { readEvidence, runToEnd } from '../../drills/cli.js';
import { startForTest, waitFor } from '../../support/kafka.js';
import { repoRoot } from '../../support/require.js';
import { tempDir } from '../../support/temp.js';

/**
 * The external provider against a cluster started separately (a process environment standing in
 * for one provisioned per CI job): the guard's refusals write nothing, and a drill that cleans up
 * leaves the cluster as it found it.
 */

const snapshotFile = join(repoRoot, 'fixtures/small-snapshot.json');

/** Everything the drill could touch, in a comparable form. */
async function clusterState(admin: Admin) {
  const [topics, groups, acls, credentials, quotas, configs] = await Promise.all([
    admin.listTopics({ includeInternals: false }),
    listAllGroups(admin),
    describeAllAcls(admin),
    describeScramCredentials(admin),
    describeAllQuotas(admin),
    describeTopicAndBrokerConfigs(admin, [], [1]),
  ]);
  const dynamic = (list: DescribedConfig[]) => list.filter((config) => config.source.startsWith('DYNAMIC_')).map((config) => `${config.name}=${config.value}`);
  return {
    topics: [...topics].sort(),
    groups: groups.map((group) => group.groupId).sort(),
    acls: acls.map((acl) => JSON.stringify(acl)).sort(),
    users: credentials.map((credential) => `${credential.user} ${credential.mechanism}`).sort(),
    quotas: quotas.map((quota) => JSON.stringify(quota)).sort(),
    configs: { clusterDefault: dynamic(configs.clusterDefault).sort(), broker1: dynamic(configs.brokers.get(1) ?? []).sort() },
  };
}

/** Sets (a value) or deletes (null) dynamic broker configs on the cluster-wide default ("") or broker 1, each where it belongs. */
async function alterBrokerConfigs(admin: Admin, resource: '' | '1', configs: Record<string, string | null>): Promise<void> {
  const connection = (await admin.connectToBrokers([1])).get(1)!;
  const response = await incrementalAlterConfigsV1.api.async(
    connection,
    [
      {
        resourceType: ConfigResourceTypes.BROKER,
        resourceName: resource,
        configs: Object.entries(configs).map(([name, value]) =>
          value === null
            ? { name, value: null, configOperation: IncrementalAlterConfigOperationTypes.DELETE }
            : { name, value, configOperation: IncrementalAlterConfigOperationTypes.SET },
        ),
      },
    ],
    false,
  );
  expect(response.responses.map((result) => result.errorCode)).toEqual([0]);
}

describe('external provider', { timeout: 600_000 }, async () => {
  const cluster = await startForTest({ security: 'scram' });
  const dir = tempDir('external');
  const commandConfig = join(dir, 'client.properties');
  await writeFile(commandConfig, clientProperties(cluster.admin), { mode: 0o600 });

  async function writeSpec(name: string, clusterId: string, cleanup: 'delete-restored' | 'keep'): Promise<string> {
    const file = join(dir, `${name}-${cleanup}.yaml`);
    await writeFile(
      file,
      `name: ${name}
snapshot: ${snapshotFile}
target:
  provider: external
  bootstrap: ${cluster.admin.bootstrap.join(',')}
  clusterId: ${clusterId}
  commandConfig: client.properties
  cleanup: ${cleanup}
  security: scram
restore:
  data: synthetic
  credentials:
    "*": { generate: true }
probes:
  - type: authorization
    id: shop-access
    expect:
      - { principal: "User:shop-writer", operation: WRITE, resource: { type: topic, name: shop.orders }, result: allow }
      - { principal: "User:shop-reader", operation: WRITE, resource: { type: topic, name: shop.orders }, result: deny }
  - type: offsets
    id: fulfilment-resumes
    groups: [shop-fulfilment]
    tolerance: exact
`,
    );
    return file;
  }

  const initial = await withAdmin(cluster.admin, clusterState);

  it('refuses a cluster whose id is not the expected one: exit 2, nothing written', async () => {
    const out = join(dir, 'wrong-id');
    const spec = await writeSpec('external-wrong-id', 'AAAAAAAAAAAAAAAAAAAAAA', 'delete-restored');
    const { code, stderr } = await runToEnd(spec, out);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `target.clusterId: expected "AAAAAAAAAAAAAAAAAAAAAA" but ${cluster.admin.bootstrap.join(',')} is cluster "${cluster.clusterId}": refusing to write to it`,
    );
    expect(existsSync(out)).toBe(false);
    expect(await withAdmin(cluster.admin, clusterState)).toEqual(initial);
  });

  it('refuses a cluster that already holds one of the snapshot topics no run of the drill recorded', async () => {
    await withAdmin(cluster.admin, (admin) => admin.createTopics({ topics: ['shop.orders'], partitions: 1, replicas: 1 }));
    try {
      const before = await withAdmin(cluster.admin, clusterState);
      const out = join(dir, 'non-empty');
      const { code, stderr } = await runToEnd(await writeSpec('external-non-empty', cluster.clusterId, 'delete-restored'), out);
      expect(code).toBe(2);
      expect(stderr).toMatch(/already holds 1 topic \(shop\.orders\) of the snapshot that no earlier run of drill "external-non-empty" recorded: refusing to write/);
      expect(existsSync(out)).toBe(false);
      expect(await withAdmin(cluster.admin, clusterState)).toEqual(before);
    } finally {
      await withAdmin(cluster.admin, (admin) => admin.deleteTopics({ topics: ['shop.orders'] }));
    }
  });

  it('refuses a cluster that already holds a client quota entity of the snapshot (the restore would overwrite it)', async () => {
    await withAdmin(cluster.admin, (admin) =>
      admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'shop-writer' }], ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }] }] }),
    );
    // A KRaft broker serves DescribeClientQuotas from its copy of the metadata log, which catches up after the write returns.
    await waitFor(
      async () => (await withAdmin(cluster.admin, describeAllQuotas)).some((quota) => quota.entity.some((entity) => entity.name === 'shop-writer')),
      10_000,
      'the shop-writer quota to be visible',
    );
    try {
      const before = await withAdmin(cluster.admin, clusterState);
      const out = join(dir, 'quota');
      const { code, stderr } = await runToEnd(await writeSpec('external-quota', cluster.clusterId, 'delete-restored'), out);
      expect(code).toBe(2);
      expect(stderr).toMatch(/already holds 1 client quota entity \(user=shop-writer\) of the snapshot that no earlier run of drill "external-quota" recorded: refusing to write/);
      expect(existsSync(out)).toBe(false);
      expect(await withAdmin(cluster.admin, clusterState)).toEqual(before);
    } finally {
      await withAdmin(cluster.admin, (admin) =>
        admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'shop-writer' }], ops: [{ key: 'consumer_byte_rate', remove: true }] }] }),
      );
    }
  });

  it("dynamic broker configs: one set to another value than the snapshot's is refused; one set to the same value is not the drill's to delete", async () => {
    const snapshot = await loadSnapshot(snapshotFile);
    const withConfigs = {
      ...snapshot,
      clusterConfigs: {
        clusterDefault: { 'log.retention.ms': { value: '3600000', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' as const } },
        perBroker: { '1': { 'log.cleaner.backoff.ms': { value: '20000', source: 'DYNAMIC_BROKER_CONFIG' as const } } },
      },
    };
    const target = {
      drillName: 'external-configs',
      bootstrap: cluster.admin.bootstrap,
      clusterId: cluster.clusterId,
      commandConfig,
      cleanup: 'delete-restored' as const,
      snapshot: withConfigs,
      specFile: 'configs.yaml',
    };
    await withAdmin(cluster.admin, (admin) => alterBrokerConfigs(admin, '', { 'log.retention.ms': '7200000' }));
    try {
      await expect(guardExternalTarget(target)).rejects.toThrow(
        'configs.yaml: target: cluster ' +
          cluster.clusterId +
          ' already holds 1 dynamic broker config set otherwise (cluster-wide log.retention.ms=7200000, snapshot 3600000) of the snapshot that no earlier run of drill "external-configs" recorded: refusing to write',
      );
      await withAdmin(cluster.admin, (admin) => alterBrokerConfigs(admin, '', { 'log.retention.ms': '3600000' }));
      const guarded = await guardExternalTarget(target);
      // The cluster-wide value was there already (kept at cleanup); broker 1's is the drill's to create and delete.
      expect(guarded.owned.configs).toEqual([JSON.stringify(['1', 'log.cleaner.backoff.ms'])]);
    } finally {
      await withAdmin(cluster.admin, (admin) => alterBrokerConfigs(admin, '', { 'log.retention.ms': null }));
    }
  });

  it('a passing drill whose delete-restored cleanup leaves the cluster as it was', async () => {
    const run = await runToEnd(await writeSpec('external-shop', cluster.clusterId, 'delete-restored'), join(dir, 'delete'));
    const result = readEvidence(join(dir, 'delete'));
    expect([run.code, result.verdict, result.reason]).toEqual([0, 'passed', `recovery proven on Kafka ${result.runs[0]!.kafkaVersion}`]);
    expect(result.runs[0]!.environment).toMatchObject({ provider: 'external', clusterId: cluster.clusterId });
    expect(result.runs[0]!.phases.find((phase) => phase.name === 'topics')!.counts).toMatchObject({ created: 3, failed: 0 });
    expect(await withAdmin(cluster.admin, clusterState)).toEqual(initial);
  });

  it("what a kept run wrote lets the same drill in (and no other); its delete-restored then removes both runs' objects", async () => {
    const kept = await runToEnd(await writeSpec('external-kept', cluster.clusterId, 'keep'), join(dir, 'keep'));
    expect([kept.code, readEvidence(join(dir, 'keep')).verdict]).toEqual([0, 'passed']);
    const afterKeep = await withAdmin(cluster.admin, clusterState);
    expect(afterKeep.topics).toEqual(expect.arrayContaining(['shop.orders', markerTopic('external-kept')]));
    expect(afterKeep.users.length).toBeGreaterThan(initial.users.length);

    const other = await runToEnd(await writeSpec('external-other', cluster.clusterId, 'delete-restored'), join(dir, 'other'));
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('no earlier run of drill "external-other" recorded');

    // The rerun restores over the kept objects (its verdict depends on what the first run's probes wrote); the guard lets it in.
    const again = await runToEnd(await writeSpec('external-kept', cluster.clusterId, 'delete-restored'), join(dir, 'again'));
    const result = readEvidence(join(dir, 'again'));
    expect(result.runs[0]!.phases.map((phase) => `${phase.name}:${phase.status}`)).toContain('environment:passed');
    expect([again.code === 0 || again.code === 1, result.runs[0]!.phases.find((phase) => phase.name === 'teardown')!.status]).toEqual([true, 'passed']);
    expect(await withAdmin(cluster.admin, clusterState)).toEqual(initial);
  });
});
