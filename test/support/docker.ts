import { existsSync } from 'node:fs';
import { dockerClient, DRILL_LABEL, OWNER_PID_LABEL } from '../../src/environment/docker/engine.js';
import type { Prerequisite } from './require.js';

/** A Docker engine to talk to: DOCKER_HOST, or the local socket. Whether it answers is the tests' to find out. */
export function dockerEngine(): Prerequisite {
  return { what: 'a Docker engine (DOCKER_HOST or /var/run/docker.sock)', available: Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock') };
}

/** Names of the containers and networks that carry the drill label (any environment, one, or those of one drill process). */
export async function labelledResources(environmentId?: string | { ownerPid: number }): Promise<{ containers: string[]; networks: string[] }> {
  const dockerode = (await dockerClient()).container.dockerode;
  const label = environmentId === undefined ? DRILL_LABEL : typeof environmentId === 'string' ? `${DRILL_LABEL}=${environmentId}` : `${OWNER_PID_LABEL}=${environmentId.ownerPid}`;
  const containers = await dockerode.listContainers({ all: true, filters: { label: [label] } });
  const networks = await dockerode.listNetworks({ filters: { label: [label] } });
  return { containers: containers.flatMap((c) => c.Names), networks: networks.map((n) => n.Name) };
}
