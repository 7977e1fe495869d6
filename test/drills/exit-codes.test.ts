/**
 * `kafka-drill run` reaches each exit code for its reason: 0 passed, 1 failed (see
 * must-fail.test.ts), 2 invalid input, 3 infrastructure error, 130 interrupted — through the
 * real CLI. Runs one drill at a time.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, waitFor } from '../support/kafka.js';
import { markedJvms, markerOf, readEvidence, runToEnd, startRun } from './cli.js';

const PASSING = 'test/drills/fixtures/passing.yaml';
const outRoot = mkdtempSync(path.join(tmpdir(), 'kafka-drill-exit-codes-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe('kafka-drill run exit codes', () => {
  it('0: a drill whose every check holds', async () => {
    const out = path.join(outRoot, 'passed');
    const { code, stdout, stderr } = await runToEnd(PASSING, out);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const result = readEvidence(out);
    expect(result.verdict).toBe('passed');
    expect(result.reason).toBe('recovery proven on Kafka 4.3.1');
    expect(result.runs[0]!.probes.map((p) => [p.id, p.status])).toEqual([
      ['shop-access', 'passed'],
      ['fulfilment-resumes', 'passed'],
    ]);
    expect(stdout).toContain('PASSED: recovery proven on Kafka 4.3.1');
  }, 180_000);

  it('2: a spec with a bad principal is refused before anything starts, naming file, line and path', async () => {
    const out = path.join(outRoot, 'invalid');
    const { code, stdout, stderr } = await runToEnd('test/drills/fixtures/bad-principal.yaml', out);
    expect(code, `${stdout}\n${stderr}`).toBe(2);
    expect(stderr).toBe('kafka-drill run: test/drills/fixtures/bad-principal.yaml:16: probes[0].expect[1].principal: expected "User:<name>"\n');
    expect(stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('3: an environment that cannot start is an infrastructure error, with a result that says so', async () => {
    // A java that passes the version check and fails everything else, so the brokers never start.
    const javaHome = path.join(outRoot, 'fake-java');
    mkdirSync(path.join(javaHome, 'bin'), { recursive: true });
    writeFileSync(
      path.join(javaHome, 'bin', 'java'),
      [
        '#!/bin/sh',
        'if [ "$1" = "-version" ]; then',
        '  echo \'openjdk version "17.0.15" 2025-04-15\' >&2',
        '  exit 0',
        'fi',
        'echo "fake java: refusing to run $*" >&2',
        'exit 1',
        '',
      ].join('\n'),
    );
    chmodSync(path.join(javaHome, 'bin', 'java'), 0o755);
    const out = path.join(outRoot, 'infrastructure');
    const env = { ...process.env, JAVA_HOME: javaHome, PATH: `${path.join(javaHome, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` };
    const { code, stdout, stderr } = await runToEnd(PASSING, out, env);
    expect(code, `${stdout}\n${stderr}`).toBe(3);
    const result = readEvidence(out);
    expect(result.verdict).toBe('infrastructure-error');
    expect(result.reason).toBe('4.3.1: the environment did not start: formatting Kafka storage failed (exit 1)');
    const run = result.runs[0]!;
    expect(run.phases.map((p) => [p.name, p.status])).toEqual([['environment', 'failed']]);
    expect(run.phases[0]!.findings[0]!.message).toContain('fake java: refusing to run');
    expect(run.verify).toBeUndefined();
  }, 60_000);

  it('130: SIGINT during the restore tears the environment down and still writes an interrupted result', async () => {
    const out = path.join(outRoot, 'interrupted');
    const run = startRun(PASSING, out);
    await run.stdoutMatches(/\] topics /);
    const jvms = markedJvms({ parent: run.child.pid! });
    expect(jvms.length).toBe(1); // the one broker of this drill's environment
    const workDir = markerOf(jvms[0]!);
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.exited;
    expect(code, `${stdout}\n${stderr}`).toBe(130);
    expect(stderr).toContain('run: SIGINT: stopping the drill and tearing down');

    const result = readEvidence(out);
    expect(result.verdict).toBe('interrupted');
    expect(result.reason).toBe('4.3.1: interrupted by a signal; the environment was torn down');
    const phases = result.runs[0]!.phases;
    expect(phases.at(-1)).toMatchObject({ name: 'teardown', status: 'passed' });

    await waitFor(() => !alive(jvms[0]!), 10_000, `broker pid ${jvms[0]} to exit`);
    expect(markedJvms({ workDir })).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
  }, 180_000);
});
