import { InputError } from '../errors.js';
import { startProcessEnvironment } from './process.js';
import type { EnvironmentRequest, StartedEnvironment } from './types.js';

export type ProviderName = 'process' | 'docker' | 'external';

/** Starts an environment with the named provider. */
export async function startEnvironment(provider: ProviderName, request: EnvironmentRequest): Promise<StartedEnvironment> {
  checkBrokers(request);
  if (provider === 'process') return startProcessEnvironment(request);
  throw new InputError(`provider "${provider}" is not available yet: use "process"`);
}

/** 1 to 5 brokers; node ids, when given, one per broker, distinct, and ids KRaft accepts. */
function checkBrokers({ brokers, nodeIds }: EnvironmentRequest): void {
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 5) throw new InputError(`an environment has 1 to 5 brokers, not ${brokers}`);
  if (nodeIds === undefined) return;
  if (nodeIds.length !== brokers || new Set(nodeIds).size !== brokers || !nodeIds.every((id) => Number.isInteger(id) && id >= 0 && id <= 2_147_483_647)) {
    throw new InputError(`broker ids ${nodeIds.join(', ')}: expected ${brokers} distinct whole numbers from 0 to 2147483647`);
  }
}
