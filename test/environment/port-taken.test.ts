/**
 * Ports are checked free, then bound by the JVMs seconds later, so a drill starting beside another
 * may find one taken. The process provider starts again with fresh ports instead of failing.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import * as ports from '../../src/environment/ports.js';
import { startProcessEnvironment } from '../../src/environment/process/process.js';
import { createAdmin, describeCluster } from '../../src/kafka/admin.js';

// The first allocation hands out a port another process holds, as a racing drill would.
const picks: number[][] = [];
let taken: number | undefined;
vi.mock('../../src/environment/ports.js', async (original) => {
  const real = await original<typeof ports>();
  return {
    ...real,
    freePorts: async (count: number) => {
      const list = await real.freePorts(count);
      if (picks.length === 0 && taken !== undefined) list[0] = taken;
      picks.push(list);
      return list;
    },
  };
});

describe('process provider: a port taken between the check and the bind', () => {
  let holder: Server | undefined;
  afterAll(() => holder?.close());

  it('starts again with fresh ports, and the broker then answers', async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder!.listen(0, '127.0.0.1', resolve));
    taken = (holder.address() as { port: number }).port;
    const environment = await startProcessEnvironment({ kafkaVersion: DEFAULT_KAFKA_VERSION, brokers: 1, security: 'plaintext', heapMb: 384 });
    try {
      expect(picks).toHaveLength(2);
      expect(picks[0]![0]).toBe(taken);
      expect(picks[1]).not.toContain(taken);
      const admin = createAdmin(environment.admin);
      expect((await describeCluster(admin).finally(() => admin.close())).brokerIds).toEqual([1]);
    } finally {
      await environment.stop();
    }
  });
});
