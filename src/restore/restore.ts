import { errorMessage } from '../errors.js';
import type { Admin } from '@platformatic/kafka';
import type { ProgressListener } from '../model/progress.js';
import { describeCluster, withAdmin } from '../kafka/admin.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { kafkaErrorName } from '../kafka/errors.js';
import { transientDeadlineMs } from '../kafka/retry.js';
import type { Snapshot } from '../snapshot/schema.js';
import { restoreClusterConfigs } from './cluster-configs.js';
import { restoreConnectors } from './connectors.js';
import { restoreData } from './data.js';
import { planOffsetMap, type OffsetMap } from './offset-map.js';
import { restoreOffsets } from './offsets.js';
import { PhaseRecorder, RESTORE_PHASES, type ConnectorRestore, type PhaseResult, type RestoreContext, type RestoreOptions, type RestorePhaseName } from './phase.js';
import { restoreSecurity } from './security.js';
import { CREATE_REQUEST_TIMEOUT_MAX_MS, restoreTopics } from './topics.js';

const PHASES: Record<RestorePhaseName, (context: RestoreContext, recorder: PhaseRecorder) => Promise<PhaseResult>> = {
  topics: restoreTopics,
  'cluster-configs': restoreClusterConfigs,
  security: restoreSecurity,
  data: restoreData,
  offsets: restoreOffsets,
  connectors: restoreConnectors,
};

export interface RestoreOutcome {
  phases: PhaseResult[];
  /** SCRAM user → the password this restore set, for probes that act as that user. */
  credentials: Map<string, string>;
  /** Connector name → what the connectors phase did with it. */
  connectors: Map<string, ConnectorRestore>;
  /** Source → target offsets of the synthetic data; absent with data none. */
  offsetMap?: OffsetMap;
}

/** A CreateTopics may wait on the broker for up to CREATE_REQUEST_TIMEOUT_MAX_MS: the client must wait longer. */
export const RESTORE_REQUEST_TIMEOUT_MS = CREATE_REQUEST_TIMEOUT_MAX_MS + 30_000;

/**
 * The context every restore phase works in: one admin client on the target, the target's broker
 * ids, the offset map of synthetic data, and how long transient errors are retried for this much work.
 */
export async function restoreContext(
  admin: Admin,
  connection: KafkaConnection,
  snapshot: Snapshot,
  options: RestoreOptions = {},
  onProgress?: ProgressListener,
): Promise<RestoreContext> {
  const { brokerIds } = await describeCluster(admin);
  const offsetMap = options.data === 'synthetic' ? planOffsetMap(snapshot, { maxRecordsPerPartition: options.maxRecordsPerPartition }) : undefined;
  const partitions = snapshot.topics.reduce((sum, topic) => sum + topic.partitions, 0);
  return {
    admin,
    connection,
    snapshot,
    options,
    brokerIds,
    credentials: new Map(),
    connectors: new Map(),
    transientDeadlineMs: transientDeadlineMs(partitions),
    ...(onProgress ? { onProgress } : {}),
    ...(offsetMap ? { offsetMap } : {}),
  };
}

/**
 * Runs one restore phase (skipped when not selected). A phase that throws is recorded as failed
 * with the error as a finding, keeping the time it really took and the requests it sent.
 */
export async function restorePhase(name: RestorePhaseName, context: RestoreContext): Promise<PhaseResult> {
  const recorder = new PhaseRecorder(name, context.onProgress);
  if (!(context.options.phases ?? RESTORE_PHASES).includes(name)) return { ...recorder.finish(), status: 'skipped' };
  try {
    return await PHASES[name](context, recorder);
  } catch (error) {
    recorder.finding('phase-crashed', 'error', name, `the phase stopped: ${errorMessage(error)}`, kafkaErrorName(error));
    return recorder.finish();
  }
}

/**
 * Applies a snapshot to a cluster, phase by phase in the fixed order. A phase that throws is
 * recorded as failed with the error as a finding — keeping the time it ran and the requests it
 * sent — and the next phase still runs: a restore reports everything it could not do rather than
 * stopping at the first surprise.
 */
export async function restoreSnapshot(
  connection: KafkaConnection,
  snapshot: Snapshot,
  options: RestoreOptions = {},
  onPhase: (result: PhaseResult) => void = () => {},
  onProgress?: ProgressListener,
): Promise<RestoreOutcome> {
  return withAdmin(
    connection,
    async (admin) => {
      const context = await restoreContext(admin, connection, snapshot, options, onProgress);
      const phases: PhaseResult[] = [];
      for (const name of RESTORE_PHASES) {
        const result = await restorePhase(name, context);
        phases.push(result);
        onPhase(result);
      }
      return { phases, credentials: context.credentials, connectors: context.connectors ?? new Map(), ...(context.offsetMap ? { offsetMap: context.offsetMap } : {}) };
    },
    { requestTimeoutMs: RESTORE_REQUEST_TIMEOUT_MS },
  );
}
