import {
  ConfigResourceTypes,
  ConfigSources,
  createPartitionsV3,
  createTopicsV7,
  IncrementalAlterConfigOperationTypes,
  incrementalAlterConfigsV1,
  type Connection,
} from '@platformatic/kafka';
import { brokerConnection, errorName, withPerObjectErrors } from '../kafka/raw.js';
import type { Topic } from '../snapshot/schema.js';
import { PhaseRecorder, plainConfigValues, sameConfigValue, type PhaseResult, type RestoreContext } from './phase.js';

const TIMEOUT_MS = 30_000;

interface ExistingTopic {
  partitions: number;
  replicationFactor: number;
  dynamicConfigs: Map<string, string>;
}

/**
 * Topics with their configs: creates the missing ones in one CreateTopics request (per-topic
 * configs, per-topic errors), grows partition counts in one CreatePartitions, and converges
 * topic configs of existing topics in one IncrementalAlterConfigs.
 */
export async function restoreTopics(context: RestoreContext): Promise<PhaseResult> {
  const recorder = new PhaseRecorder('topics');
  const { admin, snapshot } = context;
  const existing = await describeExistingTopics(context, recorder);
  const connection = await brokerConnection(admin);

  for (const topic of snapshot.topics) {
    for (const [name, entry] of Object.entries(topic.configs)) {
      if (entry.redacted) {
        recorder.finding('config-sensitive', 'warning', `topic ${topic.name} config ${name}`, 'the value is sensitive and was not captured; set it by hand');
        recorder.manualSteps.push({ id: `topic-config-${topic.name}-${name}`, title: `Set sensitive config ${name} on topic ${topic.name}`, phase: 'topics', estimateMinutes: 5 });
      }
    }
  }

  const missing = snapshot.topics.filter((topic) => !existing.has(topic.name));
  await createTopics(missing, context, recorder, connection);

  const grow = snapshot.topics.filter((topic) => {
    const current = existing.get(topic.name);
    if (!current) return false;
    if (current.partitions > topic.partitions) {
      recorder.finding('partitions-cannot-shrink', 'error', `topic ${topic.name}`, `has ${current.partitions} partitions, the snapshot ${topic.partitions}: Kafka cannot remove partitions`);
    }
    if (current.replicationFactor !== topic.replicationFactor) {
      recorder.finding('replication-differs', 'warning', `topic ${topic.name}`, `replication factor is ${current.replicationFactor}, the snapshot's ${topic.replicationFactor}; restore does not reassign replicas`);
    }
    return current.partitions < topic.partitions;
  });
  const grown = new Set<string>();
  if (grow.length > 0) {
    const response = await recorder.request(
      withPerObjectErrors(createPartitionsV3.api.async(connection, grow.map((t) => ({ name: t.name, count: t.partitions, assignments: null })), TIMEOUT_MS, false)),
    );
    for (const result of response.results) {
      if (result.errorCode === 0) grown.add(result.name);
      else recorder.finding('partitions-add-failed', 'error', `topic ${result.name}`, `adding partitions failed: ${result.errorMessage ?? ''}`.trim(), errorName(result.errorCode));
    }
  }

  const alterations = snapshot.topics.flatMap((topic) => {
    const current = existing.get(topic.name);
    if (!current) return [];
    const wanted = plainConfigValues(topic.configs);
    const configs = [
      ...[...wanted].filter(([name, value]) => !sameConfigValue(current.dynamicConfigs.get(name), value)).map(([name, value]) => ({ name, value, configOperation: IncrementalAlterConfigOperationTypes.SET })),
      ...[...current.dynamicConfigs.keys()]
        .filter((name) => !wanted.has(name) && !topic.configs[name]?.redacted)
        .map((name) => ({ name, configOperation: IncrementalAlterConfigOperationTypes.DELETE })),
    ];
    return configs.length ? [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic.name, configs }] : [];
  });
  const altered = new Set<string>();
  if (alterations.length > 0) {
    const response = await recorder.request(withPerObjectErrors(incrementalAlterConfigsV1.api.async(connection, alterations, false)));
    for (const result of response.responses) {
      if (result.errorCode === 0) altered.add(result.resourceName);
      else recorder.finding('topic-config-alter-refused', 'error', `topic ${result.resourceName}`, `config change refused: ${result.errorMessage ?? ''}`.trim(), errorName(result.errorCode));
    }
  }

  for (const topic of snapshot.topics) {
    if (!existing.has(topic.name)) continue;
    const failed = recorder.findings.some((f) => f.severity === 'error' && f.object === `topic ${topic.name}`);
    if (failed) recorder.counts.failed++;
    else if (grown.has(topic.name) || altered.has(topic.name)) recorder.counts.updated++;
    else recorder.counts.unchanged++;
  }
  return recorder.finish();
}

async function describeExistingTopics(context: RestoreContext, recorder: PhaseRecorder): Promise<Map<string, ExistingTopic>> {
  const { admin, snapshot } = context;
  const listed = new Set(await recorder.request(admin.listTopics()));
  const names = snapshot.topics.map((topic) => topic.name).filter((name) => listed.has(name));
  const existing = new Map<string, ExistingTopic>();
  if (names.length === 0) return existing;
  const metadata = await recorder.request(admin.metadata({ topics: names, forceUpdate: true }));
  const configs = await recorder.request(
    admin.describeConfigs({ resources: names.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName })) }),
  );
  for (const name of names) {
    const topic = metadata.topics.get(name);
    if (!topic) continue;
    const description = configs.find((c) => c.resourceName === name);
    const dynamicConfigs = new Map(
      (description?.configs ?? [])
        .filter((config) => config.configSource === ConfigSources.TOPIC_CONFIG && config.value !== null)
        .map((config) => [config.name, config.value as string]),
    );
    existing.set(name, { partitions: topic.partitionsCount, replicationFactor: topic.partitions[0]?.replicas.length ?? 0, dynamicConfigs });
  }
  return existing;
}

/**
 * One CreateTopics for all missing topics. A topic refused for a config Kafka names in its error
 * (one this version does not know) is retried once, in one more request, without it. With
 * clampReplication, topics are created with min(replication factor, broker count) up front.
 */
async function createTopics(missing: Topic[], context: RestoreContext, recorder: PhaseRecorder, connection: Connection) {
  if (missing.length === 0) return;
  const brokerCount = context.brokerIds.length;
  const request = (topic: Topic, replicationFactor: number, dropConfigs: Set<string>) => ({
    name: topic.name,
    numPartitions: topic.partitions,
    replicationFactor,
    assignments: [],
    configs: [...plainConfigValues(topic.configs)].filter(([name]) => !dropConfigs.has(name)).map(([name, value]) => ({ name, value })),
  });
  const replicationFor = (topic: Topic) => (context.options.clampReplication ? Math.min(topic.replicationFactor, brokerCount) : topic.replicationFactor);
  const first = await recorder.request(withPerObjectErrors(createTopicsV7.api.async(connection, missing.map((t) => request(t, replicationFor(t), new Set())), TIMEOUT_MS, false)));

  const retries: ReturnType<typeof request>[] = [];
  const refusedConfigs = new Map<string, Set<string>>();
  for (const result of first.topics) {
    const topic = missing.find((t) => t.name === result.name)!;
    const error = errorName(result.errorCode);
    if (result.errorCode === 0 || error === 'TOPIC_ALREADY_EXISTS') {
      recorder.counts[result.errorCode === 0 ? 'created' : 'unchanged']++;
      if (result.errorCode === 0 && replicationFor(topic) !== topic.replicationFactor) {
        recorder.finding('replication-clamped', 'warning', `topic ${topic.name}`, `created with replication factor ${replicationFor(topic)} instead of ${topic.replicationFactor}: the target has ${brokerCount} broker${brokerCount > 1 ? 's' : ''}`);
      }
      continue;
    }
    const message = result.errorMessage ?? '';
    recorder.finding('topic-refused', 'error', `topic ${topic.name}`, `the target refused it: ${message}`.trim(), error);
    if (error === 'INVALID_CONFIG') {
      const rejected = new Set(Object.keys(topic.configs).filter((name) => message.includes(name)));
      if (rejected.size > 0) {
        retries.push(request(topic, replicationFor(topic), rejected));
        refusedConfigs.set(topic.name, rejected);
        continue;
      }
    }
    recorder.counts.failed++;
  }
  if (retries.length === 0) return;
  const second = await recorder.request(withPerObjectErrors(createTopicsV7.api.async(connection, retries, TIMEOUT_MS, false)));
  for (const result of second.topics) {
    if (result.errorCode === 0) {
      recorder.counts.created++;
      for (const config of refusedConfigs.get(result.name)!) {
        recorder.finding('topic-config-refused', 'warning', `topic ${result.name} config ${config}`, 'the target does not accept this config: the topic was created without it');
      }
    } else {
      recorder.counts.failed++;
      recorder.finding('topic-refused', 'error', `topic ${result.name}`, `the target refused it again: ${result.errorMessage ?? ''}`.trim(), errorName(result.errorCode));
    }
  }
}
