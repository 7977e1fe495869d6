import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports for listeners the drill's own processes bind on 127.0.0.1.
 *
 * Not `listen(0)`: the kernel hands out ports from the ephemeral range, the same range every
 * outgoing client connection takes its local port from, so between the probe and the JVM's bind
 * a client (or another drill) may take it and the broker dies with "Address already in use".
 * Ports are drawn at random below the ephemeral range instead, and each is checked bindable.
 */
const LOWEST_PORT = 10_000;

export async function freePorts(count: number): Promise<number[]> {
  const highest = ephemeralRangeStart() - 1;
  const ports = new Set<number>();
  for (let attempts = 0; ports.size < count; attempts++) {
    if (attempts > count * 50) throw new Error(`no ${count} free ports found between ${LOWEST_PORT} and ${highest} on 127.0.0.1`);
    const port = LOWEST_PORT + Math.floor(Math.random() * (highest - LOWEST_PORT + 1));
    if (!ports.has(port) && (await bindable(port))) ports.add(port);
  }
  return [...ports];
}

function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > LOWEST_PORT + 1_000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
