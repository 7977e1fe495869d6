import { ConfigResourceTypes, ConfigSources, describeConfigsV4, IncrementalAlterConfigOperationTypes, incrementalAlterConfigsV1 } from '@platformatic/kafka';
import { targetBrokerOf } from '../environment/broker-ids.js';
import { dedupeBufferBytes } from '../environment/sizing.js';
import { formatSize } from '../input-file.js';
import { connectionsTo, errorName, withPerObjectErrors } from '../kafka/raw.js';
import { plainConfigValues, type Configs } from '../snapshot/schema.js';
import { PhaseRecorder, type PhaseResult, type RestoreContext } from './phase.js';
import { isKnownBrokerConfig, knownBrokerConfigs, notAppliedReason } from './target-configs.js';
import { sameConfigValue } from '../kafka/configs.js';

/** "" is Kafka's name for the cluster-wide default broker resource. */
const CLUSTER_DEFAULT = '';
const DEDUPE_BUFFER = 'log.cleaner.dedupe.buffer.size';

/**
 * Dynamic broker configs: the cluster-wide defaults and each broker's own. A per-broker
 * resource is described and altered on that broker itself, as Kafka's AdminClient does;
 * so this phase costs one DescribeConfigs and at most one IncrementalAlterConfigs per broker.
 * Configs the target has and the snapshot lacks are left alone. A source broker's configs go
 * to the target broker standing for it (the drill's broker id mapping; by default the same id).
 */
export async function restoreClusterConfigs(context: RestoreContext, recorder = new PhaseRecorder('cluster-configs')): Promise<PhaseResult> {
  const { admin, snapshot, brokerIds } = context;
  const wanted = new Map<string, Configs>([[CLUSTER_DEFAULT, snapshot.clusterConfigs.clusterDefault]]);
  for (const [sourceId, configs] of Object.entries(snapshot.clusterConfigs.perBroker)) {
    const target = targetBrokerOf(Number(sourceId), brokerIds, context.options.brokerMapping);
    if (target !== undefined) wanted.set(String(target), configs);
    else if (Object.keys(configs).length > 0) {
      // The drill chose fewer brokers than the source had: expected, and verify classifies it so.
      recorder.finding(
        'broker-absent',
        'info',
        `broker ${sourceId}`,
        `no target broker stands for source broker ${sourceId} (target brokers ${brokerIds.join(', ')}): its ${Object.keys(configs).length} dynamic config(s) were not applied`,
      );
    }
  }
  const startup = context.options.startupConfigs ?? {};
  for (const [resource, configs] of wanted) {
    const applied = Object.keys(configs).filter((name) => startup[name] !== undefined && configs[name]!.value === startup[name]);
    if (applied.length === 0) continue;
    // Read-only in Kafka: a SET would be refused, and every other config of the same request with it.
    for (const name of applied) {
      const object = resource === CLUSTER_DEFAULT ? `cluster config ${name}` : `broker ${resource} config ${name}`;
      recorder.finding('config-set-at-start-up', 'info', object, "set in the brokers' server.properties when the environment started: Kafka cannot change it dynamically");
    }
    wanted.set(resource, Object.fromEntries(Object.entries(configs).filter(([name]) => !applied.includes(name))));
  }
  if (context.options.brokerHeapMb !== undefined) {
    const limit = dedupeBufferBytes(context.options.brokerHeapMb);
    for (const [resource, configs] of wanted) {
      const value = configs[DEDUPE_BUFFER]?.value;
      if (value === undefined || value === null || Number(value) <= limit) continue;
      const object = resource === CLUSTER_DEFAULT ? `cluster config ${DEDUPE_BUFFER}` : `broker ${resource} config ${DEDUPE_BUFFER}`;
      recorder.finding(
        'config-exceeds-drill-heap',
        'info',
        object,
        `${formatSize(Number(value))} is sized for the source's brokers; the drill's have ${context.options.brokerHeapMb} MiB of heap each and keep ${formatSize(limit)} (applied, the cleaner would allocate it on the heap and the broker die of OutOfMemoryError)`,
      );
      wanted.set(resource, Object.fromEntries(Object.entries(configs).filter(([name]) => name !== DEDUPE_BUFFER)));
    }
  }
  const connections = await connectionsTo(admin, brokerIds);
  // Everything not tied to one broker goes through the first one.
  const connectionFor = (resource: string) => connections.get(resource === CLUSTER_DEFAULT ? brokerIds[0]! : Number(resource))!;

  // A config the target does not know (vendor, removed) is left out: Kafka would store it as a custom config nobody reads.
  const known = [...wanted.values()].some((configs) => Object.keys(configs).length > 0)
    ? await recorder.request(knownBrokerConfigs(connectionFor(CLUSTER_DEFAULT), brokerIds[0]!)).catch(() => undefined)
    : undefined;
  if (known) {
    for (const [resource, configs] of wanted) {
      const unknown = Object.keys(configs).filter((name) => !isKnownBrokerConfig(name, known));
      for (const name of unknown) {
        const object = resource === CLUSTER_DEFAULT ? `cluster config ${name}` : `broker ${resource} config ${name}`;
        recorder.finding('config-not-applied', 'warning', object, `not applied: ${notAppliedReason(name, context.options.kafkaVersion)}`);
      }
      if (unknown.length > 0) wanted.set(resource, Object.fromEntries(Object.entries(configs).filter(([name]) => !unknown.includes(name))));
    }
  }
  for (const [resource, configs] of wanted) {
    for (const [name, entry] of Object.entries(configs)) {
      if (!entry.redacted) continue;
      const object = resource === CLUSTER_DEFAULT ? `cluster config ${name}` : `broker ${resource} config ${name}`;
      recorder.finding('config-sensitive', 'warning', object, 'the value is sensitive and was not captured; set it by hand');
      recorder.manualSteps.push({
        id: `broker-config-${resource || 'default'}-${name}`,
        title: `Set sensitive ${object}`,
        phase: 'cluster-configs',
        estimateMinutes: 5,
        asset: { kind: 'broker' },
      });
    }
  }

  await Promise.all(
    [...wanted].map(async ([resource, configs]) => {
      const object = resource === CLUSTER_DEFAULT ? 'cluster default configs' : `broker ${resource} configs`;
      const description = await recorder.request(
        describeConfigsV4.api.async(connectionFor(resource), [{ resourceType: ConfigResourceTypes.BROKER, resourceName: resource }], false, false),
      );
      const dynamicSource = resource === CLUSTER_DEFAULT ? ConfigSources.DYNAMIC_DEFAULT_BROKER_CONFIG : ConfigSources.DYNAMIC_BROKER_CONFIG;
      const current = new Map(
        (description.results[0]?.configs ?? [])
          .filter((config) => config.configSource === dynamicSource && config.value !== null)
          .map((config) => [config.name, config.value as string]),
      );
      const values = plainConfigValues(configs);
      // Only SET: a fresh target has dynamic configs of its own (Kafka 4.x writes a cluster-level
      // min.insync.replicas while ELR is on, and refuses its removal); verify reports any difference.
      const operations = [...values]
        .filter(([name, value]) => !sameConfigValue(current.get(name), value))
        .map(([name, value]) => ({ name, value, configOperation: IncrementalAlterConfigOperationTypes.SET }));
      if (operations.length === 0) {
        recorder.counts.unchanged++;
        return;
      }
      const response = await recorder.request(
        withPerObjectErrors(
          incrementalAlterConfigsV1.api.async(connectionFor(resource), [{ resourceType: ConfigResourceTypes.BROKER, resourceName: resource, configs: operations }], false),
        ),
      );
      const result = response.responses[0];
      if (result && result.errorCode !== 0) {
        recorder.counts.failed++;
        recorder.finding(
          'broker-config-refused',
          'error',
          object,
          `the target refused ${operations.map((o) => o.name).join(', ')}: ${result.errorMessage ?? ''}`.trim(),
          errorName(result.errorCode),
        );
      } else {
        recorder.counts.updated++;
      }
    }),
  );
  return recorder.finish();
}
