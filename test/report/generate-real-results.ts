/**
 * Regenerates test/report/fixtures/real/*.json: results of real drills, run through the CLI,
 * for report tests that need a stable rendering of real evidence. Run it after a change to what
 * probes write, review the diff, commit the outputs:
 *
 *   node --import tsx test/report/generate-real-results.ts
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd } from '../drills/cli.js';

const drills = { mixed: 'test/report/drills/mixed.yaml' };

const target = fileURLToPath(new URL('./fixtures/real/', import.meta.url));
mkdirSync(target, { recursive: true });
for (const [name, spec] of Object.entries(drills)) {
  const out = mkdtempSync(path.join(tmpdir(), 'kafka-drill-real-result-'));
  try {
    const { code, stderr } = await runToEnd(spec, out);
    if (code !== 0 && code !== 1) throw new Error(`${spec} exited ${code}: ${stderr}`);
    copyFileSync(path.join(out, 'result.json'), path.join(target, `${name}.json`));
    console.log(`${name}: exit ${code} → ${path.join(target, `${name}.json`)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
