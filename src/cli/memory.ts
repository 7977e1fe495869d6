/**
 * The CLI's own memory. V8 lets a heap grow to about four times what survived its last full
 * collection before it collects again, and a drill makes garbage by the hundred MB: a
 * 5,000-topic drill held 150–230 MB and was 670–790 MB resident. Growing by half kept it near
 * 455 MB, with the process's CPU within the machine's noise (81–86 s against 77–84 s, two runs
 * each). V8 reads the flag at every collection, so setting it after start-up works.
 *
 * Once the drill's own live memory was cut to ~100 MB, growing by 30% instead of 50% took the
 * same drill from 292–295 to 266–276 MB for ~3 s more CPU (69–80 s). 10% reached 255–257 MB
 * (373 MB at 10,000 topics against 430) for another 8–15 s (14 s at 10,000): V8 marks the whole
 * heap three times as often, and every drill, small ones included, would pay that.
 *
 * The peak is the probes: they keep every check they make while their clients make garbage.
 * Growing by 15% while they run alone took a 5,000-topic drill from 250–258 to 245–246 MB
 * (alternated runs, 1,000 records a produce request), its CPU and the probes' time within the
 * noise (72–84 s against 73–90 s), and a 10,000-topic drill from 387 to 357–363 MB for ~10% more
 * CPU (261–270 s against 242 s), where the live heap the probes grow from is twice as large.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { StageName } from '../drill/runner.js';

const HEAP_GROWTH_PERCENT = 30;
const PROBES_HEAP_GROWTH_PERCENT = 15;

/** Sets how far V8 grows the heap past what survived its last full collection, for the drill's `stage` (see above). */
export function boundHeapGrowth(stage?: StageName): void {
  setFlagsFromString(`--heap-growing-percent=${stage === 'probes' ? PROBES_HEAP_GROWTH_PERCENT : HEAP_GROWTH_PERCENT}`);
}

let gc: (() => void) | null | undefined;

/**
 * A full collection now, when a drill has just let go of a whole run (its snapshot, offset map,
 * clients): without it V8 keeps that garbage until the reports have grown the heap past it, and
 * the report phase was the drill's peak (450 MB at 5,000 topics, with ~100 MB live). Only an aid:
 * where a runtime does not hand out `gc` this way, nothing happens.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const exposed: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      gc = typeof exposed === 'function' ? (exposed as () => void) : null;
    } catch {
      gc = null;
    }
  }
  try {
    gc?.();
  } catch {
    gc = null;
  }
}
