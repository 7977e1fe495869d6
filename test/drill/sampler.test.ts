/**
 * The sampler against a real broker: health, quorum and consumer lag as Kafka reports them,
 * and a clean stop — also when the broker is gone before the last sample.
 */
import { describe, expect, it } from 'vitest';
import { Sampler } from '../../src/drill/sampler.js';
import { setGroupStart } from '../../src/kafka/offset-commit.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import type { Sample } from '../../src/model/result.js';
import { startForTest } from '../support/kafka.js';

describe('sampler on a real broker', { timeout: 240_000 }, () => {
  it('samples health, the quorum and group lag (log end minus committed) on its cadence and at marks, and stops cleanly', async () => {
    const env = await startForTest();
    const kafka = createProbeClient(env.admin);
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      // RF 1 under min.insync.replicas 2: both partitions are under their min ISR (and not under-replicated).
      await admin.createTopics({ topics: [{ topic: 'lagged', numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
      await producer.send({ topic: 'lagged', acks: 1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `r${i}` })) });
      await producer.send({ topic: 'lagged', acks: 1, messages: Array.from({ length: 4 }, (_, i) => ({ partition: 1, value: `r${i}` })) });
      await setGroupStart(env.admin, 'app', 'lagged', new Map([[0, 3]]));

      const sampler = new Sampler({
        connection: env.admin,
        intervalMs: 500,
        groups: new Map([
          [
            'app',
            [
              { topic: 'lagged', partition: 0 },
              { topic: 'lagged', partition: 1 },
            ],
          ],
          ['not-yet', [{ topic: 'not-created', partition: 0 }]],
        ]),
        runStartedAt: Date.now() - 1000,
        phase: () => 'probes',
      });
      // A phase boundary first: per-partition lag; then the cadence's samples: the total only.
      sampler.mark('start probes');
      const first = (await sampler.next(AbortSignal.timeout(30_000)))!;
      expect(first.trigger).toBe('start probes');
      expect(first.errors).toEqual([]);
      expect(first.phase).toBe('probes');
      expect(first.atMs).toBeGreaterThanOrEqual(1000);
      expect(first.health).toMatchObject({ liveBrokers: 1, underReplicated: 0, offline: 0, underMinIsr: 2, controllerId: env.brokers[0]!.nodeId });
      // Internal topics count too: the group's commit created __consumer_offsets.
      expect(first.health!.partitions).toBeGreaterThan(2);
      expect(first.quorum).toMatchObject({ leaderId: env.brokers[0]!.nodeId, followers: [] });
      expect(first.quorum!.highWatermark).toBeGreaterThan(0);
      expect(first.groups).toEqual([
        {
          group: 'app',
          total: 7,
          partitions: [
            { topic: 'lagged', partition: 0, logEnd: 10, committed: 3, lag: 7 },
            { topic: 'lagged', partition: 1, logEnd: 4, committed: null, lag: null },
          ],
        },
        { group: 'not-yet', total: null, partitions: [] },
      ]);
      sampler.start();
      const onCadence = (await sampler.next(AbortSignal.timeout(30_000)))!;
      expect(onCadence.trigger).toBe('interval');
      expect(onCadence.groups).toEqual([
        { group: 'app', total: 7 },
        { group: 'not-yet', total: null },
      ]);

      // The application catches up: the next samples see lag 0.
      await setGroupStart(
        env.admin,
        'app',
        'lagged',
        new Map([
          [0, 10],
          [1, 4],
        ]),
      );
      sampler.mark('start verify');
      let caughtUp: Sample | undefined;
      for (let i = 0; i < 10 && !caughtUp; i++) {
        const sample = (await sampler.next(AbortSignal.timeout(30_000)))!;
        if (sample.trigger === 'start verify') caughtUp = sample;
      }
      expect(caughtUp!.groups[0]!.total).toBe(0);
      expect(caughtUp!.groups[0]!.partitions!.map((p) => p.lag)).toEqual([0, 0]);
      const series = sampler.series();
      expect(series.samples.map((s) => s.trigger)).toContain('start verify');
      expect(series.samples.filter((s) => s.trigger === 'interval').length).toBeGreaterThan(0);
      // atMs grows; at most one sample runs at a time.
      const times = series.samples.map((s) => s.atMs);
      expect([...times].sort((a, b) => a - b)).toEqual(times);

      // The broker goes away before teardown's last sample: the sample records the failure, stop still ends promptly.
      await producer.disconnect();
      await admin.disconnect();
      await env.stop();
      const stopping = performance.now();
      await sampler.stop();
      expect(performance.now() - stopping).toBeLessThan(8_000);
      const last = sampler.series().samples.at(-1)!;
      expect(last.trigger).toBe('end');
      expect(last.errors.map((e) => e.request)).toContain('metadata');
      expect(last.health).toBeUndefined();
      // Stopped: no more samples, and waiting for one returns at once.
      const count = sampler.series().samples.length;
      expect(await sampler.next(AbortSignal.timeout(5_000))).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(sampler.series().samples.length).toBe(count);
    } finally {
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
    }
  });
});
