/**
 * Application-level success criteria (issue 19): what an application team signs a recovery off
 * on. `records-consumed`: a restored group consumes N records within S seconds, through a real
 * consumer the probe drives (it commits, as the application would). `consumer-lag`: a group's
 * lag gets back to at most N within S seconds, judged on the drill's sampled time series.
 */
import type { ConsumerLagProbeSpec, RecordsConsumedProbeSpec } from '../drill-spec/schema.js';
import { errorMessage } from '../errors.js';
import { kafkaErrorName } from '../kafka/errors.js';
import { createProbeClient } from '../kafka/probe-client.js';
import type { ProbeEvidence } from '../model/result.js';
import { adminPrincipal } from './clients.js';
import { inGroups, probeConsumer } from './consumer-session.js';
import { verdictOf, type ProbeContext, type ProbeRunner, type ProbeVerdict } from './probe.js';

/** Time a probe gets beyond its criterion's window: joining the group, the last sample, cleanup. */
const MARGIN_MS = 20_000;

/** One sampled value of the group's lag, as the consumer-lag criterion saw it. */
export interface ObservedLag {
  /** Since the probe began watching. */
  elapsedMs: number;
  /** null: the group had no committed offset in that sample, or the sample could not read it. */
  total: number | null;
}

/** The consumer-lag criterion's check from the lag values it saw, in order; met by the first sample within the window at or under maxLag. */
export function judgeConsumerLag(group: string, maxLag: number, withinSeconds: number, observed: readonly ObservedLag[]): ProbeEvidence {
  const expected = `lag of group ${group} at most ${maxLag} within ${withinSeconds}s`;
  const base = { resource: `group ${group}`, operation: 'consumer lag', expected };
  const inWindow = observed.filter((sample) => sample.elapsedMs <= withinSeconds * 1000);
  const met = inWindow.find((sample) => sample.total !== null && sample.total <= maxLag);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  if (met) {
    return {
      ...base,
      outcome: 'passed',
      observed: `lag ${met.total} after ${seconds(met.elapsedMs)}s`,
      detail: `judged on ${inWindow.indexOf(met) + 1} sample(s) of the drill's time series`,
    };
  }
  const known = inWindow.filter((sample) => sample.total !== null);
  if (known.length === 0) {
    return {
      ...base,
      outcome: 'failed',
      observed: inWindow.length ? 'no committed offset in any sample' : 'no sample taken',
      detail: `${inWindow.length} sample(s) in ${withinSeconds}s; the group had no committed offset the drill could read`,
    };
  }
  const last = known.at(-1)!;
  const lowest = Math.min(...known.map((sample) => sample.total!));
  return {
    ...base,
    outcome: 'failed',
    observed: `lag ${last.total} after ${seconds(last.elapsedMs)}s`,
    detail: `${inWindow.length} sample(s) in ${withinSeconds}s; lowest lag ${lowest}, first ${known[0]!.total}`,
  };
}

export class ConsumerLagProbe implements ProbeRunner {
  readonly type = 'consumer-lag';
  /** It only watches samples: nothing it does can disturb the offsets probes, so it starts with them. */
  readonly defersOwnWrites = true;
  readonly timeoutMs: number;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Pick<ConsumerLagProbeSpec, 'group' | 'maxLag' | 'withinSeconds'>,
  ) {
    this.timeoutMs = spec.withinSeconds * 1000 + MARGIN_MS;
  }

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const { group, maxLag, withinSeconds } = this.spec;
    const feed = context.samples;
    if (!feed) {
      return verdictOf([
        {
          outcome: 'skipped',
          resource: `group ${group}`,
          operation: 'consumer lag',
          expected: `lag of group ${group} at most ${maxLag} within ${withinSeconds}s`,
          observed: 'not checked',
          detail: 'sampling is off (sampling.enabled: false): no time series to judge on',
        },
      ]);
    }
    const started = performance.now();
    const window = AbortSignal.any([context.signal, AbortSignal.timeout(withinSeconds * 1000 + feed.intervalMs)]);
    const observed: ObservedLag[] = [];
    for (;;) {
      const sample = await feed.next(window);
      if (!sample) break;
      const elapsedMs = Math.round(performance.now() - started);
      const total = sample.groups.find((entry) => entry.group === group)?.total ?? null;
      observed.push({ elapsedMs, total });
      if (elapsedMs > withinSeconds * 1000 || (total !== null && total <= maxLag)) break;
    }
    context.signal.throwIfAborted();
    return verdictOf([judgeConsumerLag(group, maxLag, withinSeconds, observed)]);
  }
}

export class RecordsConsumedProbe implements ProbeRunner {
  readonly type = 'records-consumed';
  /** It joins a restored group and commits: it waits until the offsets probes have read the restored positions. */
  readonly defersOwnWrites = true;
  readonly timeoutMs: number;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Pick<RecordsConsumedProbeSpec, 'group' | 'records' | 'withinSeconds' | 'topics'>,
  ) {
    this.timeoutMs = spec.withinSeconds * 1000 + MARGIN_MS;
  }

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const { group, records, withinSeconds } = this.spec;
    const topics = this.spec.topics ?? [...new Set(context.snapshot.consumerGroups.find((entry) => entry.groupId === group)?.offsets.map((offset) => offset.topic) ?? [])];
    const base = {
      principal: adminPrincipal(context),
      operation: 'READ',
      resource: `group ${group} (${topics.join(', ') || 'no topics'})`,
      expected: `${records} records consumed within ${withinSeconds}s`,
    };
    if (topics.length === 0) {
      return verdictOf([
        { ...base, outcome: 'failed', observed: 'no topics to consume', detail: `group ${group} has no committed offsets in the snapshot; name its topics in the probe` },
      ]);
    }
    await context.committedOffsetsRead;
    const consumed = await inGroups([group], () => this.consume(context, topics));
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    if (consumed.reachedMs !== undefined) {
      return verdictOf([
        {
          ...base,
          outcome: 'passed',
          observed: `${records} records in ${seconds(consumed.reachedMs)}s`,
          detail: `consumed ${consumed.count} records in all; committed as the group`,
        },
      ]);
    }
    return verdictOf([
      {
        ...base,
        outcome: 'failed',
        observed: consumed.failure ? `error: ${consumed.failure.message}` : `${consumed.count} records in ${withinSeconds}s`,
        ...(consumed.failure?.kafkaError ? { kafkaError: consumed.failure.kafkaError } : {}),
        detail: `consumed ${consumed.count} of ${records} records from the group's committed offsets`,
      },
    ]);
  }

  /** Consumes as the group from its committed offsets until `records` arrived or the window closed, committing what it read. */
  private async consume(context: ProbeContext, topics: string[]): Promise<{ count: number; reachedMs?: number; failure?: { message: string; kafkaError?: string } }> {
    const { group, records, withinSeconds } = this.spec;
    const kafka = createProbeClient(context.connection, { clientId: 'kafka-drill-records-consumed' });
    const consumer = probeConsumer(kafka, group);
    let count = 0;
    let reachedMs: number | undefined;
    let failure: { message: string; kafkaError?: string } | undefined;
    const started = performance.now();
    let finish!: () => void;
    const ended = new Promise<void>((resolve) => (finish = resolve));
    const timer = setTimeout(finish, withinSeconds * 1000);
    const onAbort = () => finish();
    context.signal.addEventListener('abort', onAbort, { once: true });
    consumer.on(consumer.events.CRASH, (event) => {
      failure = { message: errorMessage(event.payload.error), ...(kafkaErrorName(event.payload.error) ? { kafkaError: kafkaErrorName(event.payload.error)! } : {}) };
      finish();
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: false });
      await consumer.run({
        // Committed after every batch, as an application would, so the sampled lag follows its progress.
        autoCommit: true,
        eachMessage: async () => {
          count++;
          if (count >= records && reachedMs === undefined) {
            reachedMs = Math.round(performance.now() - started);
            finish();
          }
        },
      });
      await ended;
    } catch (error) {
      failure = { message: errorMessage(error), ...(kafkaErrorName(error) ? { kafkaError: kafkaErrorName(error)! } : {}) };
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
      // Stopping commits the offsets resolved so far.
      await consumer.disconnect().catch(() => {});
    }
    return { count, ...(reachedMs !== undefined ? { reachedMs } : {}), ...(failure ? { failure } : {}) };
  }
}
