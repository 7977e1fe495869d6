import { InputError } from '../errors.js';
import { startDockerEnvironment, type DockerOptions } from './docker.js';
import { startProcessEnvironment } from './process.js';
import type { EnvironmentRequest, StartedEnvironment } from './types.js';

export type ProviderName = 'process' | 'docker' | 'external';

/** Settings only one provider reads; the others ignore them. */
export interface ProviderOptions {
  docker?: DockerOptions;
}

/** Starts an environment with the named provider. */
export async function startEnvironment(provider: ProviderName, request: EnvironmentRequest, options: ProviderOptions = {}): Promise<StartedEnvironment> {
  if (provider === 'process') return startProcessEnvironment(request);
  if (provider === 'docker') return startDockerEnvironment(request, options.docker);
  throw new InputError(`provider "${provider}" is not available yet: use "process" or "docker"`);
}
