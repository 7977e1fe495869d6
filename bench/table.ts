/** The benchmark's result file and its Markdown table (bench/results/<date>.md, README). */
import type { SnapshotShape } from './generate.js';
import type { RunbookResult } from './runbook.js';
import type { BrokerStorage } from '../src/model/enums.js';

export interface SizeResult {
  topics: number;
  shape: SnapshotShape;
  /** Brokers of each cluster (runs before 2026-12-07: 1). */
  brokers?: number;
  restore?: {
    ms: number;
    peakRssMb: number;
    load?: number;
    passed: boolean;
    phases: Record<string, { ms: number; requests: number; status: string; failed: number }>;
    errors: string[];
  };
  floor?: { ms: number; jvmMs: number; load?: number; kinds: Record<string, { ms: number; requests: number; failed: number }> };
  runbook?: RunbookResult & { load?: number };
  drill?: {
    ms: number;
    afterEnvironmentMs: number;
    verdict: string;
    reason: string;
    /**
     * Peak RSS of the `kafka-drill run` process (reports included) with `rssOf: 'kafka-drill run'`;
     * in results from before it, of the bench process itself, which ran the drill in-process without
     * writing reports and also held the generated snapshots.
     */
    peakRssMb?: number;
    rssOf?: 'kafka-drill run';
    load?: number;
    phases: Record<string, { ms: number; status: string }>;
    probes: { id: string; status: string; ms: number; checks: number }[];
  };
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  kafkaVersion: string;
  /** Where the brokers kept their data (runs before 2026-12-07: disk). */
  brokerStorage?: BrokerStorage;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; loadAverage: { min: number; mean: number; max: number } };
  harnessMaxRssMb: number;
  /** How the results were obtained when not by one complete run (e.g. reconstructed from a run's log). */
  note?: string;
  sizes: SizeResult[];
}

const s = (ms: number | undefined) => (ms === undefined ? '–' : ms >= 100_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);
const n = (value: number) => value.toLocaleString('en-US');
const duration = (ms: number) => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : s(ms));

export function renderTable(results: BenchResults): string {
  const { machine } = results;
  const lines = [
    `Measured ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `Kafka ${results.kafkaVersion}, SASL/SCRAM and ACLs, the brokers' data ${results.brokerStorage === 'memory' ? 'in memory (tmpfs)' : 'on disk'}. 1-minute load average during the run: ` +
      `${machine.loadAverage.min}–${machine.loadAverage.max} (mean ${machine.loadAverage.mean}; the last column is its mean per size), the bench's own brokers and clients included (it runs them on the same cores).`,
    ...(results.note ? ['', results.note] : []),
    '',
    '| topics (×3 partitions) | brokers | ACLs | SCRAM users | quotas | groups | kafka-drill restore | floor: Java AdminClient | restore ÷ floor | runbook: CLI per object (extrapolated) | runbook ÷ restore | full drill (after environment) | drill verdict | kafka-drill run peak RSS | load average |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const size of results.sizes) {
    const { shape, restore, floor, runbook, drill } = size;
    const restoreCell = restore ? `${s(restore.ms)}${restore.passed ? '' : ' (failed)'}` : '–';
    const floorFailed = floor ? Object.values(floor.kinds).reduce((sum, k) => sum + k.failed, 0) : 0;
    const floorCell = floor ? `${s(floor.ms)}${floorFailed ? ` (${n(floorFailed)} objects failed)` : ''}` : '–';
    const ratio = restore && floor && floor.ms > 0 ? `${(restore.ms / floor.ms).toFixed(2)}×` : '–';
    const runbookCell = runbook ? `~${duration(runbook.extrapolatedMs)}` : '–';
    const faster = runbook && restore ? `${Math.round(runbook.extrapolatedMs / restore.ms)}×` : '–';
    const drillCell = drill ? `${s(drill.ms)} (${s(drill.afterEnvironmentMs)})` : '–';
    // A result from before the drill ran as its own process measured the bench's own process (marked †).
    const rss = drill?.peakRssMb === undefined ? '–' : `${drill.peakRssMb} MB${drill.rssOf ? '' : ' †'}`;
    const loads = [restore?.load, floor?.load, runbook?.load, drill?.load].filter((l): l is number => typeof l === 'number');
    const load = loads.length ? (loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(1) : '–';
    lines.push(
      `| ${n(shape.topics)} | ${size.brokers ?? 1} | ${n(shape.acls)} | ${n(shape.scramUsers)} | ${n(shape.quotas)} | ${n(shape.groups)} | ${restoreCell} | ${floorCell} | ${ratio} | ${runbookCell} | ${faster} | ${drillCell} | ${drill?.verdict ?? '–'} | ${rss} | ${load} |`,
    );
  }
  lines.push('');
  const restorePhases = ['topics', 'security', 'offsets'];
  lines.push(
    "Per phase — kafka-drill restore (requests) / floor (requests), and the full drill's phases:",
    '',
    '| topics | ' + restorePhases.map((p) => `restore ${p}`).join(' | ') + ' | drill phases |',
    '|---:|' + restorePhases.map(() => '---:|').join('') + '---|',
  );
  for (const size of results.sizes) {
    const cells = restorePhases.map((phase) => {
      const ours = size.restore?.phases[phase];
      const floorKinds = phase === 'security' ? ['scram', 'acls', 'quotas'] : [phase];
      const theirs = size.floor ? floorKinds.map((k) => size.floor!.kinds[k]).filter((k) => k !== undefined) : [];
      const floorCell = theirs.length ? `${s(theirs.reduce((a, k) => a + k.ms, 0))} (${theirs.reduce((a, k) => a + k.requests, 0)})` : '–';
      return `${ours ? `${s(ours.ms)} (${ours.requests})` : '–'} / ${floorCell}`;
    });
    const drillPhases = size.drill
      ? Object.entries(size.drill.phases)
          .map(([name, p]) => `${name} ${s(p.ms)}${p.status === 'failed' ? ' ✗' : ''}`)
          .join(', ')
      : '–';
    lines.push(`| ${n(size.topics)} | ${cells.join(' | ')} | ${drillPhases} |`);
  }
  const notes = results.sizes.flatMap((size) => [
    ...(size.restore?.errors ?? []).map((e) => `${n(size.topics)} topics, restore: ${e}`),
    ...(size.drill && size.drill.verdict !== 'passed' ? [`${n(size.topics)} topics, drill ${size.drill.verdict}: ${size.drill.reason}`] : []),
    ...(size.runbook?.failures ?? []).slice(0, 2).map((f) => `${n(size.topics)} topics, runbook sample: ${f}`),
  ]);
  const sampled = results.sizes.find((size) => size.runbook)?.runbook;
  lines.push(
    '',
    `The runbook column is extrapolated: Kafka's CLI tools (kafka-topics, kafka-acls, kafka-configs, kafka-consumer-groups) were run once per object for ${sampled ? Object.values(sampled.sampled)[0] : 'a few'} objects of each kind, and the mean time per kind multiplied by the snapshot's count. ` +
      "The floor is a Java AdminClient (bench/Floor.java) sending one batched request per kind (split only above KRaft's 10,000 records per request) and committing every group's offsets at once; like the restore, it waits until the broker lists the topics, logs the users in and holds the ACLs. " +
      "Restore and floor each ran against a fresh cluster, without data; the full drill restores synthetic data, derives the authorization matrix and probes every group's offsets.",
    '',
    "The full drill runs as `kafka-drill run` in a process of its own, reports included; its peak RSS is that process's own (VmHWM), not the brokers' it starts." +
      (results.sizes.some((size) => size.drill?.peakRssMb !== undefined && !size.drill.rssOf)
        ? ' † measured before that: the bench process itself, which ran the drill in-process without writing reports and also held the generated snapshots.'
        : ''),
  );
  if (notes.length) lines.push('', 'Failures:', '', ...notes.map((note) => `- ${note.replace(/\n/g, ' ')}`));
  return lines.join('\n') + '\n';
}

/** Several runs' results as one (e.g. the small sizes and the 5,000-topic size run apart): sizes in order, the machine's load over all of them. */
export function combineResults(runs: BenchResults[]): BenchResults {
  const first = runs[0]!;
  const storages = new Set(runs.map((run) => run.brokerStorage ?? 'disk'));
  if (storages.size > 1) throw new Error(`runs with brokers' data in memory and on disk do not make one table (${[...storages].join(', ')})`);
  const loads = runs.map((run) => run.machine.loadAverage);
  return {
    ...first,
    startedAt: runs.map((run) => run.startedAt).sort()[0]!,
    finishedAt: runs
      .map((run) => run.finishedAt)
      .sort()
      .at(-1)!,
    machine: {
      ...first.machine,
      loadAverage: {
        min: Math.min(...loads.map((l) => l.min)),
        mean: Math.round((loads.reduce((sum, l) => sum + l.mean, 0) / loads.length) * 100) / 100,
        max: Math.max(...loads.map((l) => l.max)),
      },
    },
    harnessMaxRssMb: Math.max(...runs.map((run) => run.harnessMaxRssMb)),
    ...(runs.some((run) => run.note) ? { note: runs.flatMap((run) => (run.note ? [run.note] : [])).join(' ') } : {}),
    sizes: runs.flatMap((run) => run.sizes).sort((a, b) => a.topics - b.topics),
  };
}
