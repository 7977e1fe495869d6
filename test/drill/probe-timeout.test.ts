/**
 * A probe that times out and never lets go (a timer keeps Node's event loop alive, the abort
 * signal is ignored) must not keep the CLI running: it writes its verdict and reports and exits.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { readEvidence, startRun } from '../drills/cli.js';
import { smallSnapshot, writeDrill } from './drill-files.js';

describe('a probe that times out', () => {
  it('is an error in the result, and the CLI exits right after writing its reports', async () => {
    const dir = tempDir('probe-timeout');
    writeFileSync(path.join(dir, 'stuck.mjs'), 'export default () => { setInterval(() => {}, 1_000); return new Promise(() => {}); };\n');
    const spec = await writeDrill(dir, smallSnapshot(), {
      name: 'stuck-probe',
      target: { brokers: 1, security: 'scram' },
      restore: { credentials: { '*': { generate: true } } },
      probes: [{ type: 'custom', id: 'stuck', name: 'never answers', module: './stuck.mjs', timeoutMs: 2_000 }],
    });
    const out = path.join(dir, 'out');
    const run = startRun(spec, out);
    await run.stdoutMatches(/report: /);
    const reported = performance.now();
    const { code, stdout, stderr } = await run.exited;
    expect(performance.now() - reported).toBeLessThan(5_000);
    expect(code, `${stdout}\n${stderr}`).toBe(1);

    const result = readEvidence(out);
    const probe = result.runs[0]!.probes[0]!;
    expect(probe).toMatchObject({ id: 'stuck', status: 'error' });
    expect(probe.evidence.map((e) => [e.outcome, e.observed])).toEqual([['failed', 'error: the probe did not finish within 2000ms']]);
    expect(result.reason).toContain('probe stuck error');
  }, 180_000);
});
