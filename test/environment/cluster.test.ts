/**
 * startCluster's own guarantees, whatever runtime it drives: a start that fails at any step
 * removes what the runtime started and the work dir, once; the start-up clock and its error say
 * what was waited for. The runtime here starts nothing (its nodes never answer), so every start
 * fails before a client would ask a broker; the real runtimes are tested against Kafka in
 * process/ and docker/.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCluster, type ClusterRuntime, type NodeCheck } from '../../src/environment/cluster.js';
import type { EnvironmentRequest } from '../../src/environment/types.js';
import { InfrastructureError } from '../../src/errors.js';

interface Calls {
  workDir?: string;
  removed: number;
  dismissed: number;
  polls: number;
}

/** A runtime of one node whose checks come from `check` (called with the poll number, from 1). */
function runtime(calls: Calls, check: (poll: number) => Promise<NodeCheck> | NodeCheck, launch?: () => Promise<never>): ClusterRuntime<'process', object> {
  return {
    provider: 'process',
    startTimeoutMs: () => 60_000,
    prepare: async () => ({ kafkaVersion: '4.3.1' }),
    startWatchdog: (workDir) => {
      calls.workDir = workDir;
      return () => void calls.dismissed++;
    },
    placeNodes: async () => [{ nodeId: 1, host: '127.0.0.1', clientPort: 1, internalPort: 2, controllerPort: 3 }],
    launch:
      launch ??
      (async ({ workDir }) => {
        const logFile = join(workDir, 'broker.log');
        await writeFile(logFile, 'line 1\nthe last line of broker 1\n');
        return [{ nodeId: 1, pid: -1, address: '127.0.0.1:1', logFile }];
      }),
    checkNodes: async () => check(++calls.polls),
    startConnect: () => Promise.reject(new Error('not asked for')),
    exitedProcesses: async () => [],
    extra: () => ({}),
    remove: async () => void calls.removed++,
  };
}

const request: EnvironmentRequest = { kafkaVersion: '4.3.1', brokers: 1, security: 'plaintext' };
const fresh = (): Calls => ({ removed: 0, dismissed: 0, polls: 0 });

/** Everything a failed start must leave: the runtime's resources removed once, no work dir, no watchdog. */
function expectTornDown(calls: Calls) {
  expect(calls.removed).toBe(1);
  expect(calls.dismissed).toBe(1);
  expect(calls.workDir).toBeDefined();
  expect(existsSync(calls.workDir!)).toBe(false);
}

describe('startCluster', () => {
  it('a launch that fails: the error as it was, the runtime removed once, the work dir gone, readiness never polled', async () => {
    const calls = fresh();
    const failure = new InfrastructureError('starting a broker container failed: no such image');
    await expect(
      startCluster(
        request,
        runtime(
          calls,
          () => ({}),
          () => Promise.reject(failure),
        ),
      ),
    ).rejects.toBe(failure);
    expectTornDown(calls);
    expect(calls.polls).toBe(0);
  });

  it('a node that exits during start-up: its error, on the poll that saw it, and the same teardown', async () => {
    const calls = fresh();
    const exited = new InfrastructureError('Kafka broker 1 exited during start-up (code 1); log: broker.log');
    const start = startCluster(
      request,
      runtime(calls, (poll) => {
        if (poll < 3) return { waiting: 'broker 1 not started yet' };
        throw exited;
      }),
    );
    await expect(start).rejects.toBe(exited);
    expect(calls.polls).toBe(3);
    expectTornDown(calls);
  });

  it('a cluster that never becomes ready: "did not become ready within", the last thing waited for, each broker log tail', async () => {
    const calls = fresh();
    const began = Date.now();
    const error = await startCluster(
      { ...request, startTimeoutMs: 800 },
      runtime(calls, () => ({ waiting: 'broker 1 not started yet' })),
    ).catch((e: unknown) => e);
    expect(Date.now() - began).toBeGreaterThanOrEqual(800);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as InfrastructureError).message).toBe('Kafka did not become ready within 0.8s (broker 1 not started yet)');
    expect((error as InfrastructureError).details).toContain('--- broker 1 (');
    expect((error as InfrastructureError).details).toContain('the last line of broker 1');
    expect(calls.polls).toBeGreaterThanOrEqual(2);
    expectTornDown(calls);
  });

  it('a runtime that restarts the clock (storage formatted): the timeout counts from that poll', async () => {
    const calls = fresh();
    let restartedAt = 0;
    const error = await startCluster(
      { ...request, startTimeoutMs: 700 },
      runtime(calls, (poll) => {
        if (poll < 3) return { waiting: 'storage not formatted yet' };
        if (poll === 3) {
          restartedAt = Date.now();
          return { waiting: 'broker 1 not started yet', restartClock: true };
        }
        return { waiting: 'broker 1 not started yet' };
      }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(restartedAt).toBeGreaterThan(0);
    expect(Date.now() - restartedAt).toBeGreaterThanOrEqual(700);
    expect((error as Error).message).toBe('Kafka did not become ready within 0.7s (broker 1 not started yet)');
    expectTornDown(calls);
  });

  it('an interrupted start: the abort, and the same teardown', async () => {
    const calls = fresh();
    const controller = new AbortController();
    const start = startCluster(
      { ...request, signal: controller.signal, startTimeoutMs: 5_000 },
      runtime(calls, (poll) => {
        if (poll === 2) controller.abort();
        return { waiting: 'broker 1 not started yet' };
      }),
    );
    await expect(start).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls.polls).toBe(2);
    expectTornDown(calls);
  });

  it('keepDirs: a failed start keeps its work dir (and still removes what the runtime started)', async () => {
    const calls = fresh();
    await expect(
      startCluster(
        { ...request, keepDirs: true, startTimeoutMs: 300 },
        runtime(calls, () => ({ waiting: 'x' })),
      ),
    ).rejects.toThrow(InfrastructureError);
    expect(calls.removed).toBe(1);
    expect(existsSync(join(calls.workDir!, 'broker.log'))).toBe(true);
    await rm(calls.workDir!, { recursive: true, force: true });
  });
});
