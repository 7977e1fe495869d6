/**
 * Speed at scale (not a test): generated snapshots of 100, 1,000 and 5,000 topics (bench/generate.ts)
 * restored three ways, plus the full drill.
 *
 *   npm run bench                                  every size
 *   npm run bench -- --sizes 100,1000              only these sizes
 *   npm run bench -- --skip drill,runbook          leave parts out (restore, floor, runbook, drill)
 *   npm run bench -- --kafka-version 3.9.2 --runbook-sample 3
 *   npm run bench -- --render bench/results/A.json,bench/results/B.json   one table from runs made apart
 *
 * For each size:
 *   restore  kafka-drill's restore into a fresh 1-broker SCRAM cluster (data: none)
 *   floor    a Java AdminClient (bench/Floor.java, compiled here) sending one batched request per kind
 *   runbook  Kafka's CLI tools once per object, for a small sample per kind, extrapolated to the size
 *   drill    the full drill (synthetic data, derived authorization matrix, every group's offsets),
 *            run as users run it: `kafka-drill run` (dist/cli/main.js: `npm run build` first) in a
 *            process of its own, reports included; its peak RSS is that process's (VmHWM), not
 *            this harness's, which also holds the generated snapshots
 * Writes bench/results/<date>.json and .md, and the table into README.md.
 */
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createProgressDisplay } from '../src/drill/progress-display.js';
import { clientProperties } from '../src/environment/client-properties.js';
import { DEFAULT_KAFKA_VERSION, installKafka, resolveDistribution } from '../src/runtime/distribution.js';
import { javaBinary, requireJava } from '../src/runtime/java.js';
import { startEnvironment } from '../src/environment/start.js';
import { brokerLimitsNeeded } from '../src/environment/plan.js';
import { brokerLimitProblems, readHostLimits } from '../src/environment/host-limits.js';
import { openFilesForPartitions } from '../src/environment/sizing.js';
import { brokerStorages } from '../src/model/enums.js';
import type { StartedEnvironment } from '../src/environment/types.js';
import { restoreSnapshot } from '../src/restore/restore.js';
import { serializeSnapshot } from '../src/snapshot/canonical.js';
import { loadSnapshot } from '../src/snapshot/load.js';
import type { Snapshot } from '../src/snapshot/schema.js';
import type { Result } from '../src/model/result.js';
import { generateSnapshot, shapeFor } from './generate.js';
import { combineResults, renderTable, type BenchResults, type SizeResult } from './table.js';
import { runbookSample } from './runbook.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,5000' },
    skip: { type: 'string', default: '' },
    'kafka-version': { type: 'string', default: DEFAULT_KAFKA_VERSION },
    'runbook-sample': { type: 'string', default: '3' },
    'broker-storage': { type: 'string', default: 'memory' },
    'no-readme': { type: 'boolean', default: false },
    render: { type: 'string' },
  },
});

/** The table into bench/results/<stamp>.md and between README's bench markers. */
function publish(report: BenchResults, stamp: string, updateReadme: boolean): string {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const table = renderTable(report);
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(dir, `${stamp}.md`), table);
  if (updateReadme) {
    const readmeFile = join(import.meta.dirname, '..', 'README.md');
    const readme = readFileSync(readmeFile, 'utf8');
    const marked = /<!-- bench:start -->[\s\S]*<!-- bench:end -->/;
    if (marked.test(readme)) writeFileSync(readmeFile, readme.replace(marked, `<!-- bench:start -->\n${table}<!-- bench:end -->`));
  }
  console.error(`written bench/results/${stamp}.json and .md`);
  return table;
}

if (values.render) {
  const combined = combineResults(values.render.split(',').map((file) => JSON.parse(readFileSync(file, 'utf8')) as BenchResults));
  console.log(publish(combined, `${combined.startedAt.replace(/[:.]/g, '-')}-combined`, !values['no-readme']));
  process.exit(0);
}
const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
if (sizes.some((s) => !Number.isInteger(s) || s < 10)) throw new Error(`--sizes: expected whole numbers ≥ 10, got ${values.sizes}`);
const skip = new Set(values.skip.split(',').filter(Boolean));
const kafkaVersion = values['kafka-version'];
const sample = Number(values['runbook-sample']);
const brokerStorage = brokerStorages.find((storage) => storage === values['broker-storage']);
if (!brokerStorage) throw new Error(`--broker-storage: expected ${brokerStorages.join(' or ')}, got ${values['broker-storage']}`);

/** Peak RSS of this process while `work` runs, sampled every 100 ms, with the machine's 1-minute load average. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; peakRssMb: number; load: number }> {
  let peak = process.memoryUsage.rss();
  const loads = [loadavg()[0]!];
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    loads.push(loadavg()[0]!);
  }, 100);
  const started = performance.now();
  try {
    const value = await work();
    return {
      value,
      ms: Math.round(performance.now() - started),
      peakRssMb: Math.round(Math.max(peak, process.memoryUsage.rss()) / 1048576),
      load: round2(loads.reduce((a, b) => a + b, 0) / loads.length),
    };
  } finally {
    clearInterval(timer);
  }
}
const round2 = (n: number) => Math.round(n * 100) / 100;

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

/** A process's peak resident set so far (VmHWM), in bytes; undefined where /proc does not say (not Linux, or it ended). */
function peakRssOf(pid: number): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * `kafka-drill <args>` in a process of its own, its output on this one's stderr; its peak RSS is
 * read from /proc every 100 ms until it ends (the last reading before it exits; a process's own
 * peak, never its children's, the brokers').
 */
async function runCli(args: string[]): Promise<{ exitCode: number; ms: number; peakRssMb?: number; load: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 2, 2] });
  let peak: number | undefined;
  const loads = [loadavg()[0]!];
  const timer = setInterval(() => {
    const now = peakRssOf(child.pid!);
    if (now !== undefined) peak = Math.max(peak ?? 0, now);
    loads.push(loadavg()[0]!);
  }, 100);
  try {
    const exitCode = await new Promise<number>((resolve, reject) => child.on('error', reject).on('exit', (code) => resolve(code ?? 1)));
    return {
      exitCode,
      ms: Math.round(performance.now() - started),
      ...(peak === undefined ? {} : { peakRssMb: Math.round(peak / 1048576) }),
      load: round2(loads.reduce((a, b) => a + b, 0) / loads.length),
    };
  } finally {
    clearInterval(timer);
  }
}

const machineLoads: number[] = [];
const loadTimer = setInterval(() => machineLoads.push(loadavg()[0]!), 5_000);
const startedAt = new Date();
const work = mkdtempSync(join(tmpdir(), 'kafka-drill-bench-'));
const environments = new Set<StartedEnvironment>();
const stopAll = async () => {
  await Promise.all([...environments].map((e) => e.stop().catch(() => {})));
};
process.on('SIGINT', () => void stopAll().finally(() => process.exit(130)));

/** A 1-broker SCRAM cluster, its data where --broker-storage says (a drill's default: memory), with a heap that fits the snapshot (the broker's default 512 MiB runs out near 15,000 partitions). */
async function startTarget(partitions: number, brokers: number): Promise<StartedEnvironment> {
  const heapMb = Math.max(512, 256 + Math.ceil(partitions / brokers / 10));
  const environment = await startEnvironment('process', {
    kafkaVersion,
    brokers,
    security: 'scram',
    brokerStorage,
    heapMb,
    openFiles: openFilesForPartitions(Math.ceil(partitions / brokers)),
  });
  environments.add(environment);
  return environment;
}
/** One broker, or the fewest (up to 5) whose open files and memory maps fit this host's limits, as a user would add brokers. */
function brokersFor(snapshot: Snapshot): number {
  const fits = (brokers: 1 | 2 | 3 | 4 | 5) => brokerLimitProblems(brokerLimitsNeeded({ brokers }, snapshot), readHostLimits(), 'process').length === 0;
  return ([1, 2, 3, 4, 5] as const).find(fits) ?? 5;
}
async function stopTarget(environment: StartedEnvironment) {
  environments.delete(environment);
  await environment.stop();
}

try {
  if (!skip.has('drill') && !existsSync(CLI)) throw new Error(`${CLI} not found: the drill runs the built CLI, run npm run build first`);
  await requireJava();
  await installKafka(kafkaVersion, (line) => console.error(line));
  const libs = (await resolveDistribution(kafkaVersion)).libsDir;
  const classes = join(work, 'classes');
  if (!skip.has('floor')) {
    mkdirSync(classes);
    const javac = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'javac') : 'javac';
    await execa(javac, ['-nowarn', '-d', classes, '-cp', `${libs}/*`, join(import.meta.dirname, 'Floor.java')]);
  }

  const results: SizeResult[] = [];
  for (const topics of sizes) {
    const shape = shapeFor(topics);
    console.error(`\n== ${topics} topics: ${JSON.stringify(shape)}`);
    const snapshotFile = join(work, `snapshot-${topics}.json`);
    writeFileSync(snapshotFile, serializeSnapshot(generateSnapshot(topics)));
    const snapshot = await loadSnapshot(snapshotFile);
    const brokers = brokersFor(snapshot);
    const result: SizeResult = { topics, shape, brokers };

    if (!skip.has('restore')) {
      const target = await startTarget(shape.partitions, brokers);
      try {
        const display = createProgressDisplay(process.stderr);
        const run = await measured(() =>
          restoreSnapshot(target.admin, snapshot, { data: 'none', credentials: { '*': { generate: true } } }, () => {}, display.update).finally(() => display.close()),
        );
        result.restore = {
          ms: run.ms,
          peakRssMb: run.peakRssMb,
          load: run.load,
          passed: run.value.phases.every((p) => p.status !== 'failed'),
          phases: Object.fromEntries(run.value.phases.map((p) => [p.phase, { ms: p.durationMs, requests: p.requests, status: p.status, failed: p.counts.failed }])),
          errors: run.value.phases.flatMap((p) =>
            p.findings
              .filter((f) => f.severity === 'error')
              .slice(0, 3)
              .map((f) => `${p.phase}: ${f.object}: ${f.message}`),
          ),
        };
        console.error(`restore ${run.ms} ms`, JSON.stringify(result.restore.phases));
      } finally {
        await stopTarget(target);
      }
    }

    if (!skip.has('floor') || !skip.has('runbook')) {
      const target = await startTarget(shape.partitions, brokers);
      try {
        const properties = join(work, 'client.properties');
        writeFileSync(properties, clientProperties(target.admin), { mode: 0o600 });
        if (!skip.has('floor')) {
          const run = await measured(() => execa(javaBinary(), ['-Xmx512m', '-cp', `${libs}/*:${classes}`, 'Floor', properties, snapshotFile], { env: { KAFKA_LOG4J_OPTS: '' } }));
          const output = JSON.parse(run.value.stdout.trim().split('\n').at(-1)!) as { totalMs: number; kinds: Record<string, { ms: number; requests: number; failed: number }> };
          result.floor = { ms: output.totalMs, jvmMs: run.ms, load: run.load, kinds: output.kinds };
          console.error(`floor ${output.totalMs} ms (JVM ${run.ms} ms)`, JSON.stringify(output.kinds));
        }
        if (!skip.has('runbook')) {
          const run = await measured(() => runbookSample({ libs, properties, snapshot, sample, work, kafkaVersion }));
          result.runbook = { ...run.value, load: run.load };
          console.error(`runbook sample: ${JSON.stringify(run.value.perObjectMs)} → extrapolated ${Math.round(run.value.extrapolatedMs / 1000)} s`);
        }
      } finally {
        await stopTarget(target);
      }
    }

    if (!skip.has('drill')) {
      const specFile = join(work, `drill-${topics}.yaml`);
      writeFileSync(
        specFile,
        [
          `name: bench-${topics}`,
          `snapshot: ./snapshot-${topics}.json`,
          `target: { brokers: ${brokers}, security: scram, brokerStorage: ${brokerStorage} }`,
          'restore: { data: synthetic, credentials: { "*": { generate: true } } }',
          'probes:',
          '  - { type: authorization, id: acl-matrix, derive: true }',
          '  - { type: offsets, id: consumers-resume, groups: all, tolerance: exact }',
          '',
        ].join('\n'),
      );
      const out = join(work, `drill-${topics}`);
      const run = await runCli(['run', specFile, '--out', out, '--kafka-version', kafkaVersion, '--provider', 'process']);
      if (!existsSync(join(out, 'result.json'))) throw new Error(`kafka-drill run ended with exit code ${run.exitCode} and wrote no result`);
      const drilled = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as Result;
      const drillRun = drilled.runs[0]!;
      const phases = Object.fromEntries(drillRun.phases.map((p) => [p.name, { ms: p.durationMs, status: p.status }]));
      const afterEnvironmentMs = drillRun.phases.filter((p) => p.name !== 'environment' && p.name !== 'teardown').reduce((sum, p) => sum + p.durationMs, 0);
      result.drill = {
        ms: run.ms,
        afterEnvironmentMs,
        verdict: drilled.verdict,
        reason: drilled.reason.slice(0, 400),
        ...(run.peakRssMb === undefined ? {} : { peakRssMb: run.peakRssMb, rssOf: 'kafka-drill run' as const }),
        load: run.load,
        phases,
        probes: drillRun.probes.map((p) => ({ id: p.id, status: p.status, ms: p.durationMs, checks: p.evidence.length })),
      };
      console.error(`drill ${drilled.verdict} in ${run.ms} ms (${afterEnvironmentMs} ms after the environment), kafka-drill run peak RSS ${run.peakRssMb ?? '?'} MB`);
      for (const probe of drillRun.probes) {
        const counts = { passed: 0, failed: 0, skipped: 0 };
        for (const item of probe.evidence) counts[item.outcome]++;
        console.error(`  probe ${probe.id}: ${probe.status}, ${JSON.stringify(counts)}`);
        for (const item of probe.evidence.filter((evidence) => evidence.outcome === 'failed').slice(0, 5)) console.error(`    failed: ${JSON.stringify(item)}`);
      }
    }
    results.push(result);
  }

  const report: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    kafkaVersion,
    brokerStorage,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 1073741824),
      node: process.version,
      loadAverage: machineLoads.length
        ? { min: round2(Math.min(...machineLoads)), mean: round2(machineLoads.reduce((a, b) => a + b, 0) / machineLoads.length), max: round2(Math.max(...machineLoads)) }
        : { min: round2(loadavg()[0]!), mean: round2(loadavg()[0]!), max: round2(loadavg()[0]!) },
    },
    harnessMaxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    sizes: results,
  };
  console.log(publish(report, startedAt.toISOString().replace(/[:.]/g, '-'), !values['no-readme']));
} finally {
  clearInterval(loadTimer);
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}
