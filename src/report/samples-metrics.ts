/**
 * metrics.prom's share of the drill's time series: each series' last sampled value, so a
 * dashboard shows where lag and health stood when the drill ended (src/drill/sampler.ts).
 */
import { Gauge, type Registry } from 'prom-client';
import type { Result, Sample } from '../model/result.js';

export function lastSampleMetrics(registry: Registry, result: Result): void {
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const run = ['drill', 'kafka_version'] as const;
  const lag = gauge('kafka_drill_consumer_lag', "A group's lag in its last sample: log end minus committed offset, summed over its partitions.", [...run, 'group']);
  const brokers = gauge('kafka_drill_live_brokers', 'Brokers the cluster metadata listed in the last sample.', run);
  const partitions = gauge('kafka_drill_partitions', 'Partitions by health in the last sample (a partition can be in several states).', [...run, 'state']);
  const quorumLag = gauge('kafka_drill_quorum_follower_lag', "Offsets a KRaft quorum follower's log end was behind the leader's, in the last sample.", [...run, 'node_id']);
  const samples = gauge('kafka_drill_samples', 'Samples taken during the run.', run);
  const sampleErrors = gauge('kafka_drill_sample_request_errors', 'Requests of the samples that failed, by what they asked.', [...run, 'request']);
  const probeErrors = gauge('kafka_drill_probe_kafka_errors', 'Kafka errors in the probe evidence, by probe and error name.', [...run, 'probe', 'error']);

  const drill = result.drillName;
  for (const entry of result.runs) {
    const series = entry.samples;
    if (!series) continue;
    const labels = { drill, kafka_version: entry.kafkaVersion };
    samples.set(labels, series.samples.length);
    const last = <T>(pick: (sample: Sample) => T | undefined): T | undefined => {
      for (let i = series.samples.length - 1; i >= 0; i--) {
        const value = pick(series.samples[i]!);
        if (value !== undefined) return value;
      }
      return undefined;
    };
    for (const group of series.groups) {
      const total = last((sample) => sample.groups.find((g) => g.group === group)?.total ?? undefined);
      if (total !== undefined) lag.set({ ...labels, group }, total);
    }
    const health = last((sample) => sample.health);
    if (health) {
      brokers.set(labels, health.liveBrokers);
      partitions.set({ ...labels, state: 'all' }, health.partitions);
      partitions.set({ ...labels, state: 'under_replicated' }, health.underReplicated);
      partitions.set({ ...labels, state: 'offline' }, health.offline);
      partitions.set({ ...labels, state: 'under_min_isr' }, health.underMinIsr);
    }
    for (const follower of last((sample) => sample.quorum)?.followers ?? []) quorumLag.set({ ...labels, node_id: String(follower.nodeId) }, follower.lagOffsets);
    const failed = new Map<string, number>();
    for (const error of series.samples.flatMap((sample) => sample.errors)) failed.set(error.request, (failed.get(error.request) ?? 0) + 1);
    for (const [request, count] of failed) sampleErrors.set({ ...labels, request }, count);
    for (const entry of series.probeErrors) probeErrors.set({ ...labels, probe: entry.probe, error: entry.kafkaError }, entry.count);
  }
}
