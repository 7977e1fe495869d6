import type { Admin } from '@platformatic/kafka';
import { describeCluster, withAdmin } from '../kafka/admin.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { kafkaErrorName } from '../kafka/errors.js';
import type { Snapshot } from '../snapshot/schema.js';
import { restoreClusterConfigs } from './cluster-configs.js';
import { restoreConnectors } from './connectors.js';
import { restoreData } from './data.js';
import { planOffsetMap, type OffsetMap } from './offset-map.js';
import { restoreOffsets } from './offsets.js';
import { PhaseRecorder, RESTORE_PHASES, type PhaseResult, type RestoreContext, type RestoreOptions, type RestorePhaseName } from './phase.js';
import { restoreSecurity } from './security.js';
import { restoreTopics } from './topics.js';

const PHASES: Record<RestorePhaseName, (context: RestoreContext) => Promise<PhaseResult>> = {
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
  /** Source → target offsets of the synthetic data; absent with data none. */
  offsetMap?: OffsetMap;
}

/** The context every restore phase works in: one admin client on the target, the target's broker ids, and the offset map of synthetic data. */
export async function restoreContext(admin: Admin, connection: KafkaConnection, snapshot: Snapshot, options: RestoreOptions = {}): Promise<RestoreContext> {
  const { brokerIds } = await describeCluster(admin);
  const offsetMap = options.data === 'synthetic' ? planOffsetMap(snapshot, { maxRecordsPerPartition: options.maxRecordsPerPartition }) : undefined;
  return { admin, connection, snapshot, options, brokerIds, credentials: new Map(), ...(offsetMap ? { offsetMap } : {}) };
}

/**
 * Runs one restore phase (skipped when not selected). A phase that throws is recorded as failed
 * with the error as a finding and the time it really took.
 */
export async function restorePhase(name: RestorePhaseName, context: RestoreContext): Promise<PhaseResult> {
  if (!(context.options.phases ?? RESTORE_PHASES).includes(name)) return { ...new PhaseRecorder(name).finish(), status: 'skipped' };
  const recorder = new PhaseRecorder(name);
  try {
    return await PHASES[name](context);
  } catch (error) {
    recorder.finding('phase-crashed', 'error', name, `the phase stopped: ${(error as Error).message}`, kafkaErrorName(error));
    return recorder.finish();
  }
}

/**
 * Applies a snapshot to a cluster, phase by phase in the fixed order. A phase that throws is
 * recorded as failed with the error as a finding and the next phase still runs: a restore
 * reports everything it could not do rather than stopping at the first surprise.
 */
export async function restoreSnapshot(
  connection: KafkaConnection,
  snapshot: Snapshot,
  options: RestoreOptions = {},
  onPhase: (result: PhaseResult) => void = () => {},
): Promise<RestoreOutcome> {
  return withAdmin(connection, async (admin) => {
    const context = await restoreContext(admin, connection, snapshot, options);
    const phases: PhaseResult[] = [];
    for (const name of RESTORE_PHASES) {
      const result = await restorePhase(name, context);
      phases.push(result);
      onPhase(result);
    }
    return { phases, credentials: context.credentials, ...(context.offsetMap ? { offsetMap: context.offsetMap } : {}) };
  });
}
