/**
 * SIGINT and SIGTERM end a drill within 10 s whatever it is doing — here inside a long data
 * phase — through the real CLI: an interrupted result.json and its reports are written, the
 * phase that was running says it was interrupted, and every process of the environment is gone
 * by the time the CLI exits. A second signal still leaves a result; after a SIGKILL the
 * watchdog ends the environment and the CLI has left nothing else behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive } from '../support/kafka.js';
import { tempDir } from '../support/temp.js';
import { markedJvms, markerOf, readEvidence, startRun } from '../drills/cli.js';
import { slowDataSnapshot, writeDrill } from './drill-files.js';

/** Interrupting a drill takes 10 s at most; the slack is for a loaded CI machine. */
const EXIT_BUDGET_MS = 10_000 + 5_000;

async function slowDrill(dir: string): Promise<string> {
  // ~800,000 records to produce: the data phase runs far longer than the test waits.
  return writeDrill(dir, slowDataSnapshot(800_000), {
    name: 'slow-data',
    target: { brokers: 1, security: 'scram' },
    // Every record produced, not a sample: the offset map would otherwise keep the data phase short.
    restore: { data: 'synthetic', synthetic: { maxRecordsPerPartition: 800_000 }, credentials: { '*': { generate: true } } },
  });
}

/** Starts the drill, waits until its data phase has run for a moment, and returns the run and its broker's pid. */
async function startInDataPhase(dir: string, env?: NodeJS.ProcessEnv) {
  const out = path.join(dir, 'out');
  const run = startRun(await slowDrill(dir), out, env);
  await run.stdoutMatches(/\] security /);
  const jvms = markedJvms({ parent: run.child.pid! });
  expect(jvms.length).toBe(1);
  const workDir = markerOf(jvms[0]!);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(run.child.exitCode).toBeNull();
  return { run, out, broker: jvms[0]!, workDir };
}

describe('signals during a drill', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} inside a long restore phase: exit 130 within 10 s, interrupted result, environment gone`, async () => {
      const { run, out, broker, workDir } = await startInDataPhase(tempDir(`signal-${signal}`));
      const sent = performance.now();
      run.child.kill(signal);
      const { code, stdout, stderr } = await run.exited;
      const exitMs = performance.now() - sent;
      expect(code, `${stdout}\n${stderr}`).toBe(130);
      expect(exitMs).toBeLessThan(EXIT_BUDGET_MS);
      console.info(`${signal} in the data phase: the CLI exited ${Math.round(exitMs)} ms after the signal`);

      // Gone when the CLI exits, not eventually.
      expect(alive(broker)).toBe(false);
      expect(markedJvms({ workDir })).toEqual([]);
      expect(existsSync(workDir)).toBe(false);

      const result = readEvidence(out);
      expect(result.verdict).toBe('interrupted');
      const phases = result.runs[0]!.phases;
      expect(phases.map((p) => p.name)).toEqual(['environment', 'topics', 'cluster-configs', 'security', 'data', 'teardown']);
      const data = phases.find((p) => p.name === 'data')!;
      expect(data.status).toBe('failed');
      expect(data.findings.map((f) => f.code)).toEqual(['interrupted']);
      expect(data.durationMs).toBeGreaterThanOrEqual(1_000);
      expect(phases.at(-1)).toMatchObject({ name: 'teardown', status: 'passed' });
      // The time series stops with the drill: samples up to the signal (the data phase's among them), none once teardown began.
      const samples = result.runs[0]!.samples!.samples;
      expect(samples.filter((s) => s.phase === 'data').length).toBeGreaterThan(0);
      expect(samples.map((s) => s.trigger)).not.toContain('end');
      for (const sample of samples) expect(Date.parse(sample.at)).toBeLessThanOrEqual(Date.parse(phases.at(-1)!.startedAt));
    }, 240_000);
  }

  it('SIGTERM while the environment is starting: exit 130 within 10 s, no process of it left', async () => {
    const dir = tempDir('signal-start');
    // The environment's directory (and the marker on its JVMs' command lines) lands under this TMPDIR.
    const tmp = path.join(dir, 'tmp');
    mkdirSync(tmp);
    const processesOfThisDrill = (): string[] => {
      try {
        return execFileSync('pgrep', ['-a', '-f', `kafka.drill.env=${tmp}`], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean);
      } catch {
        return []; // pgrep exits 1 when nothing matches
      }
    };
    const run = startRun(await slowDrill(dir), path.join(dir, 'out'), { ...process.env, TMPDIR: tmp });
    await run.stdoutMatches(/^drill slow-data:/m);
    const deadline = Date.now() + 60_000;
    while (processesOfThisDrill().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processesOfThisDrill().length).toBeGreaterThan(0); // a storage format or a broker JVM is running

    const sent = performance.now();
    run.child.kill('SIGTERM');
    const { code, stdout, stderr } = await run.exited;
    const exitMs = performance.now() - sent;
    expect(code, `${stdout}\n${stderr}`).toBe(130);
    expect(exitMs).toBeLessThan(EXIT_BUDGET_MS);
    expect(processesOfThisDrill()).toEqual([]);
    expect(readdirSync(tmp).filter((name) => name.startsWith('kafka-drill-env-'))).toEqual([]);

    const result = readEvidence(path.join(dir, 'out'));
    expect(result.verdict).toBe('interrupted');
    const phases = result.runs[0]!.phases;
    expect(phases.map((p) => [p.name, p.status, p.findings.map((f) => f.code)])).toEqual([['environment', 'failed', ['interrupted']]]);
  }, 240_000);

  it('a second signal still leaves an interrupted result', async () => {
    const { run, out, broker } = await startInDataPhase(tempDir('signal-twice'));
    run.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.exited;
    expect(code, `${stdout}\n${stderr}`).toBe(130);
    expect(alive(broker)).toBe(false);
    const result = readEvidence(out);
    expect(result.verdict).toBe('interrupted');
    expect(result.runs[0]!.phases.map((p) => p.name)).toContain('teardown');
  }, 240_000);

  it('SIGKILL of the CLI: the watchdog ends the environment, and nothing of the run stays in TMPDIR', async () => {
    const dir = tempDir('signal-kill');
    const tmp = path.join(dir, 'tmp');
    mkdirSync(tmp);
    const { run, workDir } = await startInDataPhase(dir, { ...process.env, TMPDIR: tmp });
    expect(workDir.startsWith(tmp)).toBe(true);
    run.child.kill('SIGKILL');
    await run.exited;
    const deadline = Date.now() + 60_000;
    while ((markedJvms({ workDir }).length > 0 || existsSync(workDir)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(markedJvms({ workDir })).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  }, 240_000);
});
