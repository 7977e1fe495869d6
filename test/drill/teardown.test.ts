/**
 * A teardown that throws is a failed teardown phase with a finding, and the result still lands:
 * a real drill on a real broker whose environment's stop() fails after it stopped the broker.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResult, RESULT_FILE } from '../../src/model/result.js';
import { startEnvironment } from '../../src/environment/start.js';
import { readHostLimits } from '../../src/environment/host-limits.js';
import { writeReports } from '../../src/report/write.js';
import { alive } from '../support/kafka.js';
import { tempDir } from '../support/temp.js';
import { readFileSync } from 'node:fs';
import { startSmallDrill } from './drill-files.js';

describe('teardown', () => {
  it('a teardown that throws is a failed phase with a finding, and result.json is written', async () => {
    const dir = tempDir('teardown-fails');
    let brokerPid = -1;
    const stages: string[] = [];
    const drill = await startSmallDrill(dir, 'teardown-fails', {
      onStage: (stage) => stages.push(stage),
      // The real environment; its stop() stops everything, then reports a failure as a broken disk would.
      startEnvironment: async (request) => {
        const environment = await startEnvironment('process', request);
        brokerPid = environment.brokers[0]!.pid;
        return {
          ...environment,
          stop: async () => {
            await environment.stop();
            throw new Error(`cannot remove ${environment.workDir}: EIO`);
          },
        };
      },
    });
    const result = await drill.done;
    expect(alive(brokerPid)).toBe(false);

    const run = result.runs[0]!;
    const teardown = run.phases.at(-1)!;
    expect(teardown).toMatchObject({ name: 'teardown', status: 'failed' });
    expect(teardown.findings.map((f) => [f.code, f.severity])).toEqual([['teardown-failed', 'error']]);
    expect(teardown.findings[0]!.message).toMatch(/^stopping the environment failed: cannot remove .*: EIO$/);
    expect(run.verdict).toBe('infrastructure-error');
    expect(run.reason).toMatch(/^teardown failed: stopping the environment failed: cannot remove .*: EIO$/);
    // Everything before the teardown ran and is in the result.
    expect(run.phases.map((p) => p.name)).toEqual(['environment', 'topics', 'cluster-configs', 'security', 'data', 'offsets', 'connectors', 'verify', 'probes', 'teardown']);
    // The runner's caller hears of every stage as it starts (the CLI bounds the heap's growth while the probes run).
    expect(stages).toEqual([
      'environment',
      'baseline',
      'topics',
      'cluster-configs',
      'security',
      'data',
      'offsets',
      'connectors',
      'manual steps',
      'verify',
      'assumptions',
      'probes',
      'rollback decision',
      'teardown',
    ]);
    // The brokers' open-file limit is recorded: the host's hard limit, which the process provider gives them.
    expect(run.environment.openFilesLimit).toBe(readHostLimits().openFiles?.hard);

    const out = path.join(dir, 'out');
    await writeReports(result, out);
    const written = parseResult(readFileSync(path.join(out, RESULT_FILE), 'utf8'), RESULT_FILE);
    expect(written.runs[0]!.phases.at(-1)).toMatchObject({ name: 'teardown', status: 'failed' });
  }, 180_000);
});
