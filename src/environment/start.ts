import { InputError } from '../errors.js';
import { startProcessEnvironment } from './process.js';
import type { EnvironmentRequest, StartedEnvironment } from './types.js';

export type ProviderName = 'process' | 'docker' | 'external';

/** Starts an environment with the named provider. */
export async function startEnvironment(provider: ProviderName, request: EnvironmentRequest): Promise<StartedEnvironment> {
  if (provider === 'process') return startProcessEnvironment(request);
  throw new InputError(`provider "${provider}" is not available yet: use "process"`);
}
