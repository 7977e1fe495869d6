import { getContainerRuntimeClient, type ContainerRuntimeClient } from 'testcontainers';
import { InfrastructureError } from '../../errors.js';

/**
 * The Docker engine as testcontainers finds it (DOCKER_HOST, ~/.testcontainers.properties,
 * the local socket), with the two settings an air-gapped run needs applied first.
 */

/** Every container and network a drill creates carries this label; its value names the drill environment. */
export const DRILL_LABEL = 'org.kafka-drill.environment';
/** The pid of the kafka-drill process that owns the resource, for sweeping what a killed run left. */
export const OWNER_PID_LABEL = 'org.kafka-drill.owner-pid';
/** The host that owns it: a pid only means something on the machine that started it. */
export const OWNER_HOST_LABEL = 'org.kafka-drill.owner-host';

/**
 * Ryuk must be pulled from a registry, so it is off and kafka-drill removes what it labelled
 * itself. The host override only applies to a local engine: with DOCKER_HOST pointing at a
 * remote engine, testcontainers' own answer (that engine's host) is the one clients must use.
 */
export function applyTestcontainersDefaults(env: NodeJS.ProcessEnv = process.env): void {
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  if (localEngine(env)) env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
}

/** The engine runs on this machine (a socket), so a bind mount's source is a path here. */
export function localEngine(env: NodeJS.ProcessEnv = process.env): boolean {
  const dockerHost = env.DOCKER_HOST ?? '';
  return dockerHost === '' || dockerHost.startsWith('unix://') || dockerHost.startsWith('npipe://');
}

let client: Promise<ContainerRuntimeClient> | undefined;

/** The engine's client, or an InfrastructureError (exit 3) that says what to do. */
export function dockerClient(): Promise<ContainerRuntimeClient> {
  client ??= (async () => {
    applyTestcontainersDefaults();
    try {
      const found = await getContainerRuntimeClient();
      // testcontainers falls back to the local socket when DOCKER_HOST does not answer; a drill must not
      // quietly start its cluster on another engine than the one named.
      if (process.env.DOCKER_HOST && !usesDockerHost(found, process.env.DOCKER_HOST)) throw new Error(`DOCKER_HOST=${process.env.DOCKER_HOST} did not answer`);
      return found;
    } catch (error) {
      client = undefined;
      const where = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : 'the local Docker socket';
      throw new InfrastructureError(
        `Docker is not available (${where}): install Docker (e.g. apt-get install docker.io) and start it ` +
          `(systemctl start docker, or dockerd as root), or set DOCKER_HOST to a reachable engine; ` +
          `or use provider "process"`,
        (error as Error).message,
      );
    }
  })();
  return client;
}

function usesDockerHost(found: ContainerRuntimeClient, dockerHost: string): boolean {
  const modem = found.container.dockerode.modem as { socketPath?: string; host?: string; port?: number | string };
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:' || url.protocol === 'npipe:') return modem.socketPath === url.pathname;
  return modem.host === url.hostname && (url.port === '' || String(modem.port) === url.port);
}
