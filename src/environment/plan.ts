import { snapshotMappingRules, type Snapshot } from '../snapshot/schema.js';
import type { RestoreSpec, Target } from '../drill-spec/schema.js';
import { brokerStorageFor } from './broker-storage.js';
import { describeMapping, planBrokerIds, type BrokerIdPlan } from './broker-ids.js';
import { heapForPartitions, memoryMapsForPartitions, openFilesForPartitions, partitionReplicasPerBroker, QUICK_JIT_MAX_REPLICAS, syntheticDataBytes } from './sizing.js';
import type { BrokerLimitsNeeded } from './host-limits.js';
import type { EnvironmentRequest } from './types.js';
import { securityProfile } from '../model/enums.js';

/** What a drill starts for one Kafka version, and why, before anything starts. */
export interface EnvironmentPlan {
  request: EnvironmentRequest;
  brokerIds: BrokerIdPlan;
  /** Open files and memory maps each broker needs for the snapshot's partitions. */
  limits: BrokerLimitsNeeded;
  /** One line each for the progress output: broker ids, heap, storage, limits and JIT, with their reasons. */
  notes: string[];
}

/** The broker ids a snapshot knows: the brokers it recorded, and every broker with dynamic configs of its own. */
export function sourceBrokerIds(snapshot: Snapshot): number[] {
  const ids = new Set(snapshot.source.brokerIds ?? []);
  for (const id of Object.keys(snapshot.clusterConfigs.perBroker)) ids.add(Number(id));
  return [...ids].sort((a, b) => a - b);
}

export function brokerLimitsNeeded(target: Pick<Target, 'brokers'>, snapshot: Pick<Snapshot, 'topics'>): BrokerLimitsNeeded {
  const replicasPerBroker = partitionReplicasPerBroker(snapshot.topics, target.brokers);
  return { replicasPerBroker, openFiles: openFilesForPartitions(replicasPerBroker), memoryMaps: memoryMapsForPartitions(replicasPerBroker) };
}

export function planEnvironment(target: Target, snapshot: Snapshot, kafkaVersion: string, restore: Pick<RestoreSpec, 'data' | 'synthetic'>): EnvironmentPlan {
  const storage = brokerStorageFor(target.brokerStorage, restore.data);
  const dataBytes = restore.data === 'synthetic' ? syntheticDataBytes(snapshot.topics, restore.synthetic.maxRecordsPerPartition, target.brokers) : 0;
  const brokerIds = planBrokerIds(sourceBrokerIds(snapshot), target.brokers, target.brokerIds);
  const limits = brokerLimitsNeeded(target, snapshot);
  const { replicasPerBroker } = limits;
  const heapMb = target.heapMb ?? heapForPartitions(replicasPerBroker);
  const mappingRules = snapshotMappingRules(snapshot);
  const heapReason = target.heapMb !== undefined ? "the spec's target.heapMb" : `sized for ${replicasPerBroker} partition replica(s) per broker`;
  return {
    request: {
      kafkaVersion,
      brokers: target.brokers,
      nodeIds: brokerIds.targetIds,
      security: target.security,
      heapMb,
      openFiles: limits.openFiles,
      brokerStorage: storage.storage,
      ...(storage.storage === 'memory' && dataBytes > 0 ? { brokerDataBytes: dataBytes } : {}),
      ...(replicasPerBroker <= QUICK_JIT_MAX_REPLICAS ? { quickJit: true } : {}),
      ...(target.postgres ? { postgres: true } : {}),
      ...(target.jmxExporter ? { jmxExporter: true } : {}),
      ...(securityProfile(target.security).clientCertificates && mappingRules !== undefined ? { principalMappingRules: mappingRules.rules } : {}),
    },
    brokerIds,
    limits,
    notes: [
      `broker ids: ${describeMapping(brokerIds)}`,
      `broker heap: ${heapMb} MiB each (${heapReason})`,
      `broker storage: ${storage.storage} (${storage.reason})`,
      `broker open-file limit: at least ${limits.openFiles} each, ${limits.memoryMaps} memory maps (sized for ${replicasPerBroker} partition replica(s) per broker)`,
      replicasPerBroker <= QUICK_JIT_MAX_REPLICAS
        ? `broker JIT: C1 only, for a quick start (${replicasPerBroker} partition replica(s) per broker, at most ${QUICK_JIT_MAX_REPLICAS})`
        : `broker JIT: C1 and C2 (${replicasPerBroker} partition replica(s) per broker, over ${QUICK_JIT_MAX_REPLICAS})`,
    ],
  };
}
