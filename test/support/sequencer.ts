import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each long test file took in a full run on two busy cores (collection and hooks
 * included), longest first. Files not listed are quick.
 */
const expected: Record<string, number> = JSON.parse(readFileSync(new URL('./expected-seconds.json', import.meta.url), 'utf8'));

/**
 * Longest files first, so the run does not end with one worker on a long integration file while
 * the other has nothing left: a fresh clone has no duration cache, and vitest would otherwise
 * start files by size. The rest follow by size, largest first, as vitest orders files it knows
 * nothing about.
 */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // The files that share a worker (isolate: false) last and together: vitest reuses a worker
    // only while the next file queued is of the same shared project.
    const key = (spec: TestSpecification) => {
      const file = path.relative(spec.project.config.root, spec.moduleId);
      return [spec.project.config.isolate === false ? 0 : 1, expected[file] ?? 0, statSync(spec.moduleId).size];
    };
    const keys = new Map(files.map((spec) => [spec, key(spec)]));
    return [...files].sort((a, b) => {
      const [isolatedA, secondsA, sizeA] = keys.get(a)!;
      const [isolatedB, secondsB, sizeB] = keys.get(b)!;
      return isolatedB! - isolatedA! || secondsB! - secondsA! || sizeB! - sizeA!;
    });
  }
}
