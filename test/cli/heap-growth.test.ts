/**
 * Which heap growth the CLI asks V8 for, stage by stage. V8 does not tell a process its flags, so
 * the flags set are recorded here instead of set (the effect is measured in a drill: see memory.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import type { StageName } from '../../src/drill/runner.js';

const flags: string[] = [];
vi.mock('node:v8', async (importOriginal) => ({ ...(await importOriginal<typeof import('node:v8')>()), setFlagsFromString: (flag: string) => flags.push(flag) }));
const { boundHeapGrowth } = await import('../../src/cli/memory.js');

describe('boundHeapGrowth', () => {
  it('grows the heap by 15% while the probes run and by 30% before and after them', () => {
    const stages: (StageName | undefined)[] = [undefined, 'environment', 'verify', 'assumptions', 'probes', 'rollback decision', 'teardown'];
    for (const stage of stages) boundHeapGrowth(stage);
    expect(flags).toEqual(stages.map((stage) => `--heap-growing-percent=${stage === 'probes' ? 15 : 30}`));
    expect(flags.filter((flag) => flag.endsWith('=15'))).toHaveLength(1);
  });
});
