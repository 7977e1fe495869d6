import { InputError } from '../errors.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { LoadedSpec } from '../drill-spec/load.js';
import { withAdmin } from '../kafka/admin.js';
import { exemptFromQuotas } from './admin-quota.js';
import type { DockerOptions } from './docker/docker.js';
import { externalTarget, startExternalEnvironment, type ExternalTarget } from './external/external.js';
import { startProcessEnvironment } from './process/process.js';
import type { EnvironmentRequest, StartedEnvironment } from './types.js';

import type { ProviderName } from '../model/enums.js';

/** Settings only one provider reads; the others ignore them. */
export interface ProviderOptions {
  docker?: DockerOptions;
  /** Required by the external provider: where the cluster is, and what the drill will write there. */
  external?: ExternalTarget;
}

/** The provider-specific settings of a drill's target. */
export function providerOptions(spec: LoadedSpec, snapshot: Snapshot): ProviderOptions {
  const { target } = spec.spec;
  return {
    docker: target.image ? { image: target.image } : {},
    ...(target.bootstrap ? { external: externalTarget(spec, snapshot) } : {}),
  };
}

/** Starts an environment with the named provider. */
export async function startEnvironment(provider: ProviderName, request: EnvironmentRequest, options: ProviderOptions = {}): Promise<StartedEnvironment> {
  checkBrokers(request);
  checkMetadataMode(provider, request);
  if (request.postgres && provider !== 'process') {
    throw new InputError(
      `target.postgres needs provider "process", not "${provider}": Connect workers in containers or elsewhere cannot reach a PostgreSQL on this host's loopback`,
    );
  }
  if (provider === 'process') return exemptAdmin(await startProcessEnvironment(request));
  // Loaded only when asked for: testcontainers alone adds ~40 MB to every drill's memory.
  if (provider === 'docker') return exemptAdmin(await (await import('./docker/docker.js')).startDockerEnvironment(request, options.docker));
  if (!options.external) throw new InputError('provider "external" needs target.bootstrap, target.clusterId and target.cleanup in the drill spec');
  return startExternalEnvironment(request, options.external);
}

/** An environment the drill started (never an external one): its admin is exempt from restored client quotas. */
async function exemptAdmin(environment: StartedEnvironment): Promise<StartedEnvironment> {
  // mtls: the admin's certificate principal name (a quota's user entity is the principal's name).
  const user = environment.admin.sasl?.username ?? environment.tls?.adminPrincipal?.replace(/^User:/, '');
  if (!user) return environment;
  try {
    await withAdmin(environment.admin, (admin) => exemptFromQuotas(admin, user));
    return environment;
  } catch (error) {
    await environment.stop().catch(() => {});
    throw error;
  }
}

/** 1 to 5 brokers; node ids, when given, one per broker, distinct, and ids KRaft accepts. */
function checkBrokers({ brokers, nodeIds }: EnvironmentRequest): void {
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 5) throw new InputError(`an environment has 1 to 5 brokers, not ${brokers}`);
  if (nodeIds === undefined) return;
  if (nodeIds.length !== brokers || new Set(nodeIds).size !== brokers || !nodeIds.every((id) => Number.isInteger(id) && id >= 0 && id <= 2_147_483_647)) {
    throw new InputError(`broker ids ${nodeIds.join(', ')}: expected ${brokers} distinct whole numbers from 0 to 2147483647`);
  }
}

/** ZooKeeper mode exists up to Kafka 3.x only (4.0 removed it), and only local JVMs run a ZooKeeper. */
export function checkMetadataMode(provider: ProviderName, { metadata, kafkaVersion }: Pick<EnvironmentRequest, 'metadata' | 'kafkaVersion'>): void {
  if (metadata !== 'zookeeper') return;
  if (!/^[0-3]\./.test(kafkaVersion)) {
    throw new InputError(`metadata zookeeper needs Kafka 3.x (e.g. 3.9.2): Kafka ${kafkaVersion} has no ZooKeeper mode (removed in 4.0)`);
  }
  if (provider !== 'process') throw new InputError(`metadata zookeeper needs provider "process", not "${provider}"`);
}
