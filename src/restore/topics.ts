import { errorMessage } from '../errors.js';
import { ConfigResourceTypes, ConfigSources, createPartitionsV3, IncrementalAlterConfigOperationTypes, incrementalAlterConfigsV1, type Connection } from '@platformatic/kafka';
import { createTopics as createTopicRequests } from '../kafka/create-topics.js';
import { kafkaErrorName } from '../kafka/errors.js';
import { brokerConnection, errorName, sendForResponse } from '../kafka/raw.js';
import { plainConfigValues, type Topic } from '../snapshot/schema.js';
import { PhaseRecorder, sendInChunks, type PhaseResult, type RestoreContext } from './phase.js';
import { knownTopicConfigs, notAppliedReason } from './target-configs.js';
import { sameConfigValue } from '../kafka/configs.js';

/** The longest a create request lets the broker work on it; the restore's client waits longer than this. */
export const CREATE_REQUEST_TIMEOUT_MAX_MS = 120_000;

/** How long the broker may take over one request: 30 s plus 10 ms a metadata record, at most 2 minutes. */
function brokerTimeoutMs(records: number): number {
  return Math.min(30_000 + 10 * records, CREATE_REQUEST_TIMEOUT_MAX_MS);
}

/** The metadata records creating a topic appends: the topic, each partition, each config. */
function creationRecords(topic: { numPartitions: number; configs: unknown[] }): number {
  return 1 + topic.numPartitions + topic.configs.length;
}

/** Why a whole request failed, as Kafka's error name where there is one. */
function requestFailure(error: unknown): { kafkaError: string; message: string } {
  return { kafkaError: kafkaErrorName(error) ?? 'REQUEST_FAILED', message: errorMessage(error) };
}

interface ExistingTopic {
  partitions: number;
  replicationFactor: number;
  dynamicConfigs: Map<string, string>;
}

/**
 * Topics with their configs: creates the missing ones with CreateTopics (per-topic configs,
 * per-topic errors), grows partition counts with CreatePartitions, and converges topic configs of
 * existing topics with IncrementalAlterConfigs — each in as few requests as KRaft's per-request
 * limits allow (see sendInChunks), so a refused or failed request costs only its own topics.
 */
export async function restoreTopics(context: RestoreContext, recorder = new PhaseRecorder('topics')): Promise<PhaseResult> {
  const { admin } = context;
  const existing = await describeExistingTopics(context, recorder);
  const connection = await brokerConnection(admin);
  const topics = await applicableTopics(context, recorder, connection);

  for (const topic of topics) {
    for (const [name, entry] of Object.entries(topic.configs)) {
      if (entry.redacted) {
        recorder.finding('config-sensitive', 'warning', `topic ${topic.name} config ${name}`, 'the value is sensitive and was not captured; set it by hand');
        recorder.manualSteps.push({
          id: `topic-config-${topic.name}-${name}`,
          title: `Set sensitive config ${name} on topic ${topic.name}`,
          phase: 'topics',
          estimateMinutes: 5,
          asset: { kind: 'topic', name: topic.name },
        });
      }
    }
  }

  const missing = topics.filter((topic) => !existing.has(topic.name));
  const grow = topics.filter((topic) => {
    const current = existing.get(topic.name);
    if (!current) return false;
    if (current.partitions > topic.partitions) {
      recorder.finding(
        'partitions-cannot-shrink',
        'error',
        `topic ${topic.name}`,
        `has ${current.partitions} partitions, the snapshot ${topic.partitions}: Kafka cannot remove partitions`,
      );
    }
    if (current.replicationFactor !== topic.replicationFactor) {
      recorder.finding(
        'replication-differs',
        'warning',
        `topic ${topic.name}`,
        `replication factor is ${current.replicationFactor}, the snapshot's ${topic.replicationFactor}; restore does not reassign replicas`,
      );
    }
    return current.partitions < topic.partitions;
  });
  const alterations = topics.flatMap((topic) => {
    const current = existing.get(topic.name);
    if (!current) return [];
    const wanted = plainConfigValues(topic.configs);
    const configs = [
      ...[...wanted]
        .filter(([name, value]) => !sameConfigValue(current.dynamicConfigs.get(name), value))
        .map(([name, value]) => ({ name, value, configOperation: IncrementalAlterConfigOperationTypes.SET })),
      ...[...current.dynamicConfigs.keys()]
        .filter((name) => !wanted.has(name) && !topic.configs[name]?.redacted)
        .map((name) => ({ name, configOperation: IncrementalAlterConfigOperationTypes.DELETE })),
    ];
    return configs.length ? [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic.name, configs }] : [];
  });
  recorder.plan(missing.length + grow.length + alterations.length);

  await createTopics(missing, context, recorder, connection);
  if (recorder.counts.created > 0)
    await awaitTopicsServed(
      context,
      recorder,
      missing.map((topic) => topic.name),
    );

  const grown = new Set<string>();
  await sendInChunks(
    context,
    recorder,
    grow,
    (topic) => topic.partitions - existing.get(topic.name)!.partitions,
    async (chunk, repeated) => {
      let pending = chunk;
      if (repeated) {
        // The first attempt may have added some before it failed: those are grown, not sent again.
        const metadata = await recorder.request(admin.metadata({ topics: chunk.map((t) => t.name), forceUpdate: true }));
        pending = chunk.filter((t) => (metadata.topics.get(t.name)?.partitionsCount ?? 0) < t.partitions);
        for (const topic of chunk) if (!pending.includes(topic)) grown.add(topic.name);
        if (pending.length === 0) return;
      }
      const added = pending.reduce((sum, topic) => sum + topic.partitions - existing.get(topic.name)!.partitions, 0);
      const request = pending.map((t) => ({ name: t.name, count: t.partitions, assignments: null }));
      const response = await recorder.request(sendForResponse(connection, createPartitionsV3, request, brokerTimeoutMs(added), false));
      for (const result of response.results) {
        if (result.errorCode === 0) grown.add(result.name);
        else
          recorder.finding('partitions-add-failed', 'error', `topic ${result.name}`, `adding partitions failed: ${result.errorMessage ?? ''}`.trim(), errorName(result.errorCode));
      }
    },
    (chunk, error) => {
      const { kafkaError, message } = requestFailure(error);
      for (const topic of chunk) recorder.finding('partitions-add-failed', 'error', `topic ${topic.name}`, `the request adding its partitions failed: ${message}`, kafkaError);
    },
  );

  const altered = new Set<string>();
  await sendInChunks(
    context,
    recorder,
    alterations,
    (alteration) => alteration.configs.length,
    async (chunk) => {
      const response = await recorder.request(sendForResponse(connection, incrementalAlterConfigsV1, chunk, false));
      for (const result of response.responses) {
        if (result.errorCode === 0) altered.add(result.resourceName);
        else
          recorder.finding(
            'topic-config-alter-refused',
            'error',
            `topic ${result.resourceName}`,
            `config change refused: ${result.errorMessage ?? ''}`.trim(),
            errorName(result.errorCode),
          );
      }
    },
    (chunk, error) => {
      const { kafkaError, message } = requestFailure(error);
      for (const alteration of chunk)
        recorder.finding('topic-config-alter-refused', 'error', `topic ${alteration.resourceName}`, `the request changing its configs failed: ${message}`, kafkaError);
    },
  );

  const failedObjects = new Set(recorder.findings.filter((f) => f.severity === 'error').map((f) => f.object));
  for (const topic of topics) {
    if (!existing.has(topic.name)) continue;
    if (failedObjects.has(`topic ${topic.name}`)) recorder.counts.failed++;
    else if (grown.has(topic.name) || altered.has(topic.name)) recorder.counts.updated++;
    else recorder.counts.unchanged++;
  }
  return recorder.finish();
}

/**
 * The wait before the next listing: 250 ms, doubling to at most 2 s. Listing every 500 ms cost 39 of
 * the 43 requests restoring 1,000 topics × 3 partitions (the broker took ~20 s to serve them on a
 * loaded machine); backing off lists a few times for a short wait and about once every 2 s for a
 * long one, at most 2 s after the broker serves the last topic.
 */
export function servedPollDelayMs(poll: number): number {
  return Math.min(2_000, 250 * 2 ** Math.min(poll, 3));
}

/**
 * CreateTopics answers once the controller has committed the topics; the broker lists them only
 * after it has applied them, creating every partition's log, which for thousands of partitions on a
 * loaded machine takes minutes (5,000 topics: 1,215 of 1,500 groups' topics were not yet listed
 * when the offsets phase began). The phase ends when the broker lists every topic it created.
 */
async function awaitTopicsServed(context: RestoreContext, recorder: PhaseRecorder, names: string[]) {
  const failed = new Set(recorder.findings.filter((f) => f.code === 'topic-refused').map((f) => f.object));
  let waiting = names.filter((name) => !failed.has(`topic ${name}`));
  const deadline = Date.now() + context.transientDeadlineMs;
  let why: string;
  for (let poll = 0; ; poll++) {
    try {
      const listed = new Set(await recorder.request(context.admin.listTopics()));
      waiting = waiting.filter((name) => !listed.has(name));
    } catch (error) {
      why = `listing topics failed: ${errorMessage(error)}`;
      break;
    }
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      why = `the broker did not list them within ${Math.round(context.transientDeadlineMs / 1000)} s`;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, servedPollDelayMs(poll)));
  }
  const some = `${waiting.slice(0, 3).join(', ')}${waiting.length > 3 ? ` and ${waiting.length - 3} more` : ''}`;
  recorder.finding('topic-not-served', 'warning', `topics ${some}`, `${waiting.length} created topic(s) not yet served: ${why}`);
}

/**
 * The snapshot's topics without the configs the target does not know (vendor or removed ones),
 * each left out with a finding that says why. The names come from the target itself; when it
 * cannot say, every config is sent and a refusal is handled as one (createTopics).
 */
async function applicableTopics(context: RestoreContext, recorder: PhaseRecorder, connection: Connection): Promise<Topic[]> {
  const { snapshot } = context;
  if (!snapshot.topics.some((topic) => Object.keys(topic.configs).length > 0)) return snapshot.topics;
  const known = await recorder.request(knownTopicConfigs(connection)).catch(() => undefined);
  if (!known) return snapshot.topics;
  return snapshot.topics.map((topic) => {
    const unknown = Object.keys(topic.configs).filter((name) => !known.has(name));
    if (unknown.length === 0) return topic;
    for (const name of unknown) {
      recorder.finding('config-not-applied', 'warning', `topic ${topic.name} config ${name}`, `not applied: ${notAppliedReason(name, context.options.kafkaVersion)}`);
    }
    return { ...topic, configs: Object.fromEntries(Object.entries(topic.configs).filter(([name]) => known.has(name))) };
  });
}

async function describeExistingTopics(context: RestoreContext, recorder: PhaseRecorder): Promise<Map<string, ExistingTopic>> {
  const { admin, snapshot } = context;
  const listed = new Set(await recorder.request(admin.listTopics()));
  const names = snapshot.topics.map((topic) => topic.name).filter((name) => listed.has(name));
  const existing = new Map<string, ExistingTopic>();
  if (names.length === 0) return existing;
  const metadata = await recorder.request(admin.metadata({ topics: names, forceUpdate: true }));
  const configs = await recorder.request(admin.describeConfigs({ resources: names.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName })) }));
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
 * CreateTopics for the missing topics, in chunks under KRaft's limits. A topic refused for a config
 * Kafka names in its error (a value it refuses; or a name it does not know, when the target could not
 * list the names it knows) is retried once without it, in more chunked requests. With clampReplication, topics are created with min(replication factor,
 * broker count) up front. A topic that a repeated request finds existing was created by the
 * first attempt (it was missing when the phase began).
 */
async function createTopics(missing: Topic[], context: RestoreContext, recorder: PhaseRecorder, connection: Connection) {
  if (missing.length === 0) return;
  const brokerCount = context.brokerIds.length;
  const byName = new Map(missing.map((topic) => [topic.name, topic]));
  const replicationFor = (topic: Topic) => (context.options.clampReplication ? Math.min(topic.replicationFactor, brokerCount) : topic.replicationFactor);
  const request = (topic: Topic, dropConfigs: Set<string>) => ({
    name: topic.name,
    numPartitions: topic.partitions,
    replicationFactor: replicationFor(topic),
    assignments: [],
    configs: [...plainConfigValues(topic.configs)].filter(([name]) => !dropConfigs.has(name)).map(([name, value]) => ({ name, value })),
  });
  type CreateTopic = ReturnType<typeof request>;
  const send = (chunk: CreateTopic[]) => recorder.request(createTopicRequests(connection, chunk, brokerTimeoutMs(chunk.reduce((sum, t) => sum + creationRecords(t), 0)), false));
  const created = (name: string) => {
    recorder.counts.created++;
    const topic = byName.get(name)!;
    if (replicationFor(topic) !== topic.replicationFactor) {
      recorder.finding(
        'replication-clamped',
        'warning',
        `topic ${name}`,
        `created with replication factor ${replicationFor(topic)} instead of ${topic.replicationFactor}: the target has ${brokerCount} broker${brokerCount > 1 ? 's' : ''}`,
      );
    }
  };
  const failedRequest = (phrase: string) => (chunk: CreateTopic[], error: unknown) => {
    const { kafkaError, message } = requestFailure(error);
    for (const topic of chunk) {
      recorder.counts.failed++;
      recorder.finding('topic-refused', 'error', `topic ${topic.name}`, `the request ${phrase} failed: ${message}`, kafkaError);
    }
  };

  const retries: CreateTopic[] = [];
  const refusedConfigs = new Map<string, Set<string>>();
  await sendInChunks(
    context,
    recorder,
    missing.map((topic) => request(topic, new Set())),
    creationRecords,
    async (chunk, repeated) => {
      const response = await send(chunk);
      for (const result of response.topics) {
        const topic = byName.get(result.name)!;
        const error = errorName(result.errorCode);
        if (result.errorCode === 0 || (repeated && error === 'TOPIC_ALREADY_EXISTS')) {
          created(result.name);
          continue;
        }
        if (error === 'TOPIC_ALREADY_EXISTS') {
          // Created by someone else since the phase listed topics: left as it is.
          recorder.counts.unchanged++;
          continue;
        }
        const message = result.errorMessage ?? '';
        recorder.finding('topic-refused', 'error', `topic ${topic.name}`, `the target refused it: ${message}`.trim(), error);
        if (error === 'INVALID_CONFIG') {
          const rejected = new Set(Object.keys(topic.configs).filter((name) => message.includes(name)));
          if (rejected.size > 0) {
            retries.push(request(topic, rejected));
            refusedConfigs.set(topic.name, rejected);
            continue;
          }
        }
        recorder.counts.failed++;
      }
    },
    failedRequest('creating it'),
  );
  if (retries.length === 0) return;
  recorder.plan(retries.length);
  await sendInChunks(
    context,
    recorder,
    retries,
    creationRecords,
    async (chunk, repeated) => {
      const response = await send(chunk);
      for (const result of response.topics) {
        if (result.errorCode === 0 || (repeated && errorName(result.errorCode) === 'TOPIC_ALREADY_EXISTS')) {
          created(result.name);
          for (const config of refusedConfigs.get(result.name)!) {
            recorder.finding(
              'topic-config-refused',
              'warning',
              `topic ${result.name} config ${config}`,
              'the target does not accept this config: the topic was created without it',
            );
          }
        } else {
          recorder.counts.failed++;
          recorder.finding('topic-refused', 'error', `topic ${result.name}`, `the target refused it again: ${result.errorMessage ?? ''}`.trim(), errorName(result.errorCode));
        }
      }
    },
    failedRequest('creating it without the refused configs'),
  );
}
