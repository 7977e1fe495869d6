import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/cli/memory.js';

describe('collectGarbage', () => {
  it('collects what nothing holds any more, and can be asked again', async () => {
    let held: { rows: number[] } | undefined = { rows: Array.from({ length: 10_000 }, (_, index) => index) };
    const ref = new WeakRef(held);
    held = undefined;
    // A WeakRef keeps its target alive until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
    expect(() => collectGarbage()).not.toThrow();
  });
});
