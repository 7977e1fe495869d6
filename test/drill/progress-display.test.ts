import { describe, expect, it } from 'vitest';
import { createProgressDisplay, formatProgress } from '../../src/drill/progress-display.js';
import { progressDetail } from '../../src/restore/mirror.js';

function output(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe('formatProgress', () => {
  it('shows done/total, the percentage and records produced', () => {
    expect(formatProgress({ phase: 'topics', done: 2500, total: 5000, unit: 'objects' })).toBe('topics: 2,500/5,000 objects (50%)');
    expect(formatProgress({ phase: 'data', done: 1, total: 3, unit: 'partitions', records: 12000 })).toBe('data: 1/3 partitions (33%), 12,000 records produced');
    expect(formatProgress({ phase: 'probes', done: 0, total: 0, unit: 'checks' })).toBe('probes: 0/0 checks');
    expect(formatProgress({ phase: 'data', done: 999, total: 1_234_567, unit: 'partitions', records: 100_000 })).toBe(
      'data: 999/1,234,567 partitions (0%), 100,000 records produced',
    );
  });
  it('adds the rate so far and the time left at that rate, once a second has passed and something is done', () => {
    const topics = { phase: 'topics', done: 2500, total: 5000, unit: 'objects' };
    expect(formatProgress(topics, 10_000)).toBe('topics: 2,500/5,000 objects (50%), 250/s, about 10 s left');
    expect(formatProgress({ ...topics, done: 3 }, 2_000)).toBe('topics: 3/5,000 objects (0%), 1.5/s, about 56 min left');
    expect(formatProgress(topics, 900)).toBe('topics: 2,500/5,000 objects (50%)');
    expect(formatProgress({ ...topics, done: 0 }, 10_000)).toBe('topics: 0/5,000 objects (0%)');
    expect(formatProgress({ ...topics, done: 5000 }, 10_000)).toBe('topics: 5,000/5,000 objects (100%)');
  });
  it("adds a phase's detail, e.g. the mirror's bytes and the topics furthest behind", () => {
    const states = ['a', 'a', 'b', 'c', 'd', 'e'].map((topic, partition) => ({ topic, partition, mirroredNext: 0 }));
    const detail = progressDetail(4_250_000, states, [5, 5, 30, 0, 2, 1]);
    expect(detail).toBe('4.3 MB on the target; behind: b 30, a 10, d 2, 1 more topics');
    expect(progressDetail(undefined, states, [0, 0, 0, 0, 0, 0])).toBe('behind: none');
    expect(formatProgress({ phase: 'data', done: 0, total: 6, unit: 'partitions', records: 7, detail })).toBe(`data: 0/6 partitions (0%), 7 records produced; ${detail}`);
  });
});

describe('progress without a terminal', () => {
  it('prints a phase at most once per interval, nothing for a phase shorter than one', () => {
    let clock = 0;
    const out = output(false);
    const display = createProgressDisplay(out, { intervalMs: 5_000, now: () => clock });
    display.update({ phase: 'security', done: 1, total: 10, unit: 'objects' });
    clock = 1_000;
    display.update({ phase: 'security', done: 10, total: 10, unit: 'objects', ended: true });
    display.update({ phase: 'topics', done: 0, total: 9000, unit: 'objects' });
    clock = 4_000;
    display.update({ phase: 'topics', done: 1000, total: 9000, unit: 'objects' });
    clock = 6_000;
    display.update({ phase: 'topics', done: 5000, total: 9000, unit: 'objects' });
    clock = 7_000;
    display.update({ phase: 'topics', done: 6000, total: 9000, unit: 'objects' });
    clock = 11_000;
    display.update({ phase: 'topics', done: 9000, total: 9000, unit: 'objects' });
    display.line('topics passed');
    // 5,000 objects in the 5 s since the phase's first update: 1,000/s, 4,000 left.
    expect(out.written).toEqual(['  … topics: 5,000/9,000 objects (55%), 1,000/s, about 4 s left\n', '  … topics: 9,000/9,000 objects (100%)\n', 'topics passed\n']);
    expect(out.written.join('')).not.toContain('\x1b');
  });
});

describe('progress on a terminal', () => {
  it('keeps one live line per running phase, redrawn in place, and prints lasting lines above them', () => {
    let clock = 0;
    const out = output(true);
    const display = createProgressDisplay(out, { redrawMs: 100, now: () => clock });
    display.update({ phase: 'topics', done: 0, total: 10, unit: 'objects' });
    display.update({ phase: 'probe offsets', done: 0, total: 4, unit: 'checks' });
    expect(out.written.join('')).toBe('  … topics: 0/10 objects (0%)\n' + '\x1b[1F\x1b[J' + '  … topics: 0/10 objects (0%)\n  … probe offsets: 0/4 checks (0%)\n');
    out.written.length = 0;
    clock = 50;
    display.update({ phase: 'topics', done: 5, total: 10, unit: 'objects' });
    expect(out.written).toEqual([]); // within the redraw interval
    clock = 200;
    display.update({ phase: 'topics', done: 6, total: 10, unit: 'objects' });
    expect(out.written.join('')).toBe('\x1b[2F\x1b[J  … topics: 6/10 objects (60%)\n  … probe offsets: 0/4 checks (0%)\n');
    out.written.length = 0;
    display.update({ phase: 'topics', done: 10, total: 10, unit: 'objects', ended: true });
    display.line('topics passed');
    display.close();
    expect(out.written.join('')).toBe(
      '\x1b[2F\x1b[J  … probe offsets: 0/4 checks (0%)\n' + '\x1b[1F\x1b[J' + 'topics passed\n' + '  … probe offsets: 0/4 checks (0%)\n' + '\x1b[1F\x1b[J',
    );
    display.update({ phase: 'late', done: 1, total: 1, unit: 'objects' });
    expect(out.written.join('')).not.toContain('late');
  });
});
