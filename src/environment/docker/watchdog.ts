import { spawn } from 'node:child_process';
import type { ContainerRuntimeClient } from 'testcontainers';

/**
 * The docker provider's answer to a kafka-drill process that dies without running anything
 * (kill -9, OOM): containers outlive it in the engine, so a detached watcher started with each
 * environment notices the parent is gone and removes every container, then the network, carrying
 * the environment's label, and its work directory. It is a second Node process speaking the Engine API itself (nothing to
 * resolve from node_modules or a build), over the socket or TCP endpoint testcontainers found.
 * An engine it cannot reach that way (ssh://) is left to the next run's sweep.
 */

// Removes twice: a create the parent had sent just before it died may land after the first pass.
const WATCHDOG_SCRIPT = `
const http = require('node:http');
const https = require('node:https');
const engine = JSON.parse(process.env.KD_ENGINE);
const parent = Number(process.env.KD_PARENT);
const filters = encodeURIComponent(JSON.stringify({ label: [process.env.KD_LABEL] }));
function call(method, path) {
  return new Promise((resolve) => {
    const where = engine.socketPath ? { socketPath: engine.socketPath } : { host: engine.host, port: engine.port, ca: engine.ca, cert: engine.cert, key: engine.key };
    const request = (engine.protocol === 'https' ? https : http).request({ ...where, method, path, timeout: 30000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve(body));
    });
    request.on('error', () => resolve('[]')).on('timeout', () => request.destroy());
    request.end();
  });
}
const list = async (path) => { try { return JSON.parse(await call('GET', path)); } catch { return []; } };
async function removeAll() {
  const containers = await list('/containers/json?all=1&filters=' + filters);
  await Promise.all(containers.map((container) => call('DELETE', '/containers/' + container.Id + '?force=1&v=1')));
  const networks = await list('/networks?filters=' + filters);
  await Promise.all(networks.map((network) => call('DELETE', '/networks/' + network.Id)));
}
function parentAlive() {
  try { process.kill(parent, 0); return true; } catch (error) { return error.code === 'EPERM'; }
}
const timer = setInterval(async () => {
  if (parentAlive()) return;
  clearInterval(timer);
  await removeAll();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await removeAll();
  if (process.env.KD_WORK_DIR) require('node:fs').rmSync(process.env.KD_WORK_DIR, { recursive: true, force: true });
}, 250);
`;

interface EngineEndpoint {
  socketPath?: string;
  host?: string;
  port?: number | string;
  protocol?: string;
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
}

/**
 * Starts the watcher for one environment's label ("key=value") and work directory (undefined: keep
 * it); returns a function that dismisses it after a normal stop.
 */
export function startDockerWatchdog(client: ContainerRuntimeClient, labelFilter: string, workDir: string | undefined): () => void {
  const modem = client.container.dockerode.modem as EngineEndpoint;
  const engine: EngineEndpoint = modem.socketPath
    ? { socketPath: modem.socketPath }
    : { host: modem.host, port: modem.port, protocol: modem.protocol, ca: modem.ca, cert: modem.cert, key: modem.key };
  // The endpoint (TLS key included) goes through the environment, readable only by this user; never the command line.
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT], {
    detached: true,
    stdio: 'ignore',
    env: { KD_ENGINE: JSON.stringify(engine), KD_PARENT: String(process.pid), KD_LABEL: labelFilter, ...(workDir ? { KD_WORK_DIR: workDir } : {}) },
  });
  watchdog.on('error', () => {});
  watchdog.unref();
  return () => {
    try {
      if (watchdog.pid) process.kill(watchdog.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
}
