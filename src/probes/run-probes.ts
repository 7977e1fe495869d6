/**
 * Runs a drill's probes: in order, a few at a time, each with its own timeout and abort signal.
 */
import { errorMessage } from '../errors.js';
import { describeClientClass } from './clients.js';
import { RestoredReads } from './restored-reads.js';
import { errorVerdict, plainEvidence, type ProbeRunner, type ProbeContext, type ProbeRunContext, type ProbeVerdict } from './probe.js';
import type { ProbeRecord } from '../model/result.js';
import { StringPool } from '../string-pool.js';

/** Default number of probes running at once: each holds a few client connections. */
export const PROBE_CONCURRENCY = 3;

/**
 * Runs the probes, at most `concurrency` at a time, and returns one outcome per probe in the
 * order given. Never throws for a probe: an exception or a timeout becomes status `error`.
 *
 * Probes that read committed offsets start first; every other probe starts after them, unless it
 * defers its own disturbing work (the authorization matrix): a record produced into a restored
 * topic before the offsets probe reads it would be taken for the restored one. Because the
 * readers are queued ahead of everything else, a waiting probe never holds a slot a reader needs.
 */
export async function runProbes(probes: readonly ProbeRunner[], context: ProbeRunContext, concurrency = PROBE_CONCURRENCY): Promise<ProbeRecord[]> {
  const readers = probes.filter((probe) => probe.readsCommittedOffsets);
  const order = [...readers, ...probes.filter((probe) => !probe.readsCommittedOffsets)];
  const readersDone: Promise<void>[] = [];
  const release = new Map<ProbeRunner, () => void>();
  for (const reader of readers) readersDone.push(new Promise<void>((resolve) => release.set(reader, resolve)));
  const restoredReads = new RestoredReads();
  const groupReaders = new Map(readers.map((reader) => [reader, restoredReads.reader()]));
  const probeContext: ProbeContext = { ...context, committedOffsetsRead: Promise.all(readersDone).then(() => undefined), restoredReads };

  const outcomes = new Map<ProbeRunner, ProbeRecord>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const probe = order[next++]!;
      if (!probe.readsCommittedOffsets && !probe.defersOwnWrites) await probeContext.committedOffsetsRead;
      const groupReader = groupReaders.get(probe);
      outcomes.set(probe, await runProbe(probe, groupReader ? { ...probeContext, groupReader } : probeContext));
      groupReader?.finish();
      release.get(probe)?.();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, order.length)) }, worker));
  return probes.map((probe) => outcomes.get(probe)!);
}

/** How long a timed-out probe may still take to clean up after itself. */
const CLEANUP_GRACE_MS = 5_000;
const noop = () => {};

/** One probe, timed, with its own timeout and abort signal; never throws. */
export async function runProbe(probe: ProbeRunner, context: ProbeContext): Promise<ProbeRecord> {
  const started = performance.now();
  const timeoutMs = probe.timeoutMs ?? Math.max(context.timeoutMs, probe.workTimeoutMs?.(context) ?? 0);
  const timeout = new AbortController();
  const signal = AbortSignal.any([context.signal, timeout.signal]);
  let timer: NodeJS.Timeout | undefined;
  let cutOff = false;
  const timedOut = new Promise<ProbeVerdict>((resolve) => {
    timer = setTimeout(() => {
      cutOff = true;
      timeout.abort(new Error(`timed out after ${timeoutMs}ms`));
      resolve(errorVerdict(`the probe did not finish within ${timeoutMs}ms`));
    }, timeoutMs);
  });
  // Removed when the probe ends: the drill's signal outlives the run, and a listener left on it
  // would keep this context (the snapshot, the offset map, the whole run's state) alive.
  let onInterrupt = noop;
  const aborted = new Promise<ProbeVerdict>((resolve) => {
    if (context.signal.aborted) resolve(errorVerdict('the drill was interrupted before the probe ran'));
    onInterrupt = () => resolve(errorVerdict('the drill was interrupted'));
    context.signal.addEventListener('abort', onInterrupt, { once: true });
  });
  let verdict: ProbeVerdict;
  let checking: Promise<ProbeVerdict> | undefined;
  try {
    checking = probe.check({ ...context, signal, timeoutMs });
    verdict = await Promise.race([checking, timedOut, aborted]);
  } catch (error) {
    verdict = errorVerdict(errorMessage(error));
  } finally {
    clearTimeout(timer);
    context.signal.removeEventListener('abort', onInterrupt);
    timeout.abort(new Error('probe finished'));
  }
  const durationMs = Math.round(performance.now() - started);
  // A probe cut off by its timeout has its signal aborted; it gets a moment to run its own
  // cleanup (scratch topics and ACLs, which on an external cluster nobody else removes).
  if (cutOff && checking) await Promise.race([checking.then(noop, noop), new Promise((resolve) => setTimeout(resolve, CLEANUP_GRACE_MS).unref())]);
  const client = probe.matrix
    ? { ...(await describeClientClass(probe.matrix.clientClass, context)), probe: probe.matrix.probe, ...(verdict.processes !== undefined ? { processes: verdict.processes } : {}) }
    : undefined;
  const strings = new StringPool();
  return {
    id: probe.id,
    type: probe.type,
    name: probe.name,
    status: verdict.status,
    durationMs,
    evidence: verdict.evidence.map((item) => plainEvidence(item, strings)),
    ...(client ? { client } : {}),
  };
}
