import { resolve } from 'node:path';
import { clientPropertyMap } from '../environment/client-properties.js';
import { inputLimits, readInputFile } from '../input-file.js';
import { commandConfigConnection, parseJavaProperties } from '../kafka/command-config.js';
import type { KafkaConnection } from '../kafka/connection.js';
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
  // MirrorMaker 2's connectors run in the drill's own workers.
  const mirrors = spec.restore.data === 'mirror' && spec.restore.phases.includes('data');
  if (!spec.target.connect && !restoresConnectors && !mirrors) return {};
  return {
    connect: {
      workers: spec.target.connect?.workers ?? 1,
      pluginPaths: (spec.target.connect?.pluginPaths ?? []).map((dir) => resolve(specDir, dir)),
      ...(mirrors ? { hostNetwork: true } : {}),
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

/**
 * data: mirror — the source as kafka-drill's clients and as MirrorMaker's reach it (the spec's
 * client properties passed on as written, so every security setting Java knows works), and the
 * target as the drill's Connect workers reach it.
 */
export async function mirrorRestoreOptions(spec: DrillSpec, specDir: string, environment: StartedEnvironment): Promise<Pick<RestoreOptions, 'mirror'>> {
  if (spec.restore.data !== 'mirror' || !spec.source) return {};
  const bootstrap = spec.source.bootstrap
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
  let sourceProperties: Record<string, string> = {};
  let source: KafkaConnection = { bootstrap };
  if (spec.source.commandConfig) {
    const file = resolve(specDir, spec.source.commandConfig);
    const { text } = await readInputFile(file, 'client properties', inputLimits.propertiesBytes);
    const properties = parseJavaProperties(text);
    source = await commandConfigConnection(properties, file, { bootstrap });
    sourceProperties = Object.fromEntries(properties);
  }
  return {
    mirror: {
      source,
      sourceProperties: { ...sourceProperties, 'bootstrap.servers': bootstrap.join(',') },
      targetProperties: clientPropertyMap(environment.admin, environment.tls),
      topics: spec.restore.mirror.topics,
      catchUpTimeoutMs: spec.restore.mirror.cutover.catchUpTimeoutSeconds * 1000,
      offsets: spec.restore.mirror.offsets,
    },
  };
}
