import { readFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { startEnvironment } from '../../src/environment/start.js';
import type { EnvironmentRequest, StartedEnvironment } from '../../src/environment/types.js';

/** One version of each supported line, for tests that prove something "on every supported version". */
export const VERSION_LINES = ['3.9.2', '4.0.2', '4.1.2', '4.2.1', '4.3.1', '4.4.0'];

/**
 * Versions the integration suite runs on: the default 4.x and the 3.9 line, unless
 * KAFKA_DRILL_TEST_VERSIONS (comma-separated) says otherwise.
 */
export function integrationVersions(): string[] {
  const fromEnv = process.env.KAFKA_DRILL_TEST_VERSIONS?.split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  return fromEnv?.length ? fromEnv : [DEFAULT_KAFKA_VERSION, '3.9.2'];
}

export const OLD_LINE_VERSION = '3.9.2';

/** Starts an environment that the file's afterAll stops, whatever happens in between. */
export async function startForTest(request: Partial<EnvironmentRequest> = {}): Promise<StartedEnvironment> {
  const environment = await startEnvironment('process', {
    kafkaVersion: DEFAULT_KAFKA_VERSION,
    brokers: 1,
    security: 'plaintext',
    heapMb: 384,
    ...request,
  });
  afterAll(() => environment.stop());
  return environment;
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process group of a pid, from /proc/<pid>/stat (field 5, after the parenthesised command). */
export function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
}
