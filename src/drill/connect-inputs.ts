import { resolve } from 'node:path';
import type { ConnectRequest, StartedEnvironment } from '../environment/types.js';
import type { RestoreOptions } from '../restore/phase.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { DrillSpec } from '../drill-spec/schema.js';

/**
 * What a drill asks of Kafka Connect: workers when the spec names them, or when the snapshot has
 * connectors to restore (otherwise the connectors phase could only report that it had no worker).
 */
export function connectRequest(spec: DrillSpec, snapshot: Snapshot, specDir: string): { connect?: ConnectRequest } {
  const restoresConnectors = spec.restore.phases.includes('connectors') && (snapshot.connect?.connectors.length ?? 0) > 0;
  if (!spec.target.connect && !restoresConnectors) return {};
  return {
    connect: {
      workers: spec.target.connect?.workers ?? 1,
      pluginPaths: (spec.target.connect?.pluginPaths ?? []).map((dir) => resolve(specDir, dir)),
    },
  };
}

/** The restore's and verify's view of the target's Connect worker, and the spec's connector secret sources. */
export function connectRestoreOptions(spec: DrillSpec, environment: StartedEnvironment): Pick<RestoreOptions, 'connect' | 'connectorSecrets'> {
  return {
    ...(environment.connect ? { connect: { url: environment.connect.url } } : {}),
    connectorSecrets: spec.restore.connectorSecrets,
  };
}
