/**
 * A broker that dies mid-drill makes every later stage fail with client errors that read like
 * restore failures. The run must say what happened: an infrastructure error naming the broker,
 * how it ended and the end of its log, not a failed recovery.
 */
import { describe, expect, it } from 'vitest';
import { startEnvironment } from '../../src/environment/start.js';
import { alive } from '../support/kafka.js';
import { tempDir } from '../support/temp.js';
import { startSmallDrill } from './drill-files.js';

describe('an environment process that ends on its own', () => {
  it('a broker killed after the topics phase: the run is an infrastructure error naming it, with its exit and log', async () => {
    const dir = tempDir('environment-exit');
    let brokerPid = -1;
    const drill = await startSmallDrill(dir, 'broker-dies', {
      progress: (line) => {
        if (/\] topics +passed/.test(line)) process.kill(brokerPid, 'SIGKILL');
      },
      startEnvironment: async (request) => {
        const environment = await startEnvironment('process', request);
        brokerPid = environment.brokers[0]!.pid;
        return environment;
      },
    });
    const result = await drill.done;
    expect(alive(brokerPid)).toBe(false);

    const run = result.runs[0]!;
    expect(run.verdict).toBe('infrastructure-error');
    // Which stage first notices depends on when the dead connection is seen: the one right after topics, or a later one.
    expect(run.reason).toMatch(/^the environment broke during (cluster-configs|security|data|offsets|verify): Kafka broker 1 ended \(signal SIGKILL\)/);
    const environment = run.phases.find((phase) => phase.name === 'environment')!;
    expect(environment.status).toBe('failed');
    expect(environment.findings.map((f) => [f.code, f.severity, f.object])).toEqual([['environment-process-exited', 'error', 'Kafka broker 1']]);
    expect(environment.findings[0]!.message).toMatch(/^Kafka broker 1 ended on its own \(signal SIGKILL\) by the end of the [a-z-]+ stage; its log \S+broker\.log ends:\n/);
    // The broker logged until it was killed: its last lines are in the finding.
    expect(environment.findings[0]!.message.split('\n').length).toBeGreaterThan(5);
    // The run stopped at the first failed stage: nothing after it pretends to have been checked.
    const statuses = run.phases.map((phase) => `${phase.name}:${phase.status}`);
    expect(statuses.slice(0, 2)).toEqual(['environment:failed', 'topics:passed']);
    expect(statuses.at(-1)).toBe('teardown:passed');
    expect(statuses.at(-2)).toMatch(/:failed$/);
    expect(run.probes).toEqual([]);
    expect(result.verdict).toBe('infrastructure-error');
  });
});
