import { describe, expect, it } from 'vitest';
import { RestoredReads } from '../../src/probes/restored-reads.js';
import type { ProbeContext, ProbeRunContext, ProbeRunner } from '../../src/probes/probe.js';
import { runProbes } from '../../src/probes/run-probes.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Which of the promises have settled, by name. */
async function settled(promises: Record<string, Promise<void>>): Promise<string[]> {
  const done: string[] = [];
  for (const [name, promise] of Object.entries(promises)) void promise.then(() => done.push(name));
  await tick();
  return done.sort();
}

describe('restored reads: waiting for the offsets probes group by group', () => {
  it('a group or topic is free once every reader that planned it released it; groups no reader planned are free at once', async () => {
    const reads = new RestoredReads();
    const first = reads.reader();
    const second = reads.reader();
    const waits = {
      a: reads.groupsRead(['a']),
      b: reads.groupsRead(['b']),
      unread: reads.groupsRead(['nobody-reads-this']),
      t1: reads.topicsRead(['t1']),
      t3: reads.topicsRead(['t3']),
    };
    // Nothing is free before every reader has said what it will read.
    expect(await settled(waits)).toEqual([]);
    first.plan([
      { groupId: 'a', topics: ['t1'] },
      { groupId: 'b', topics: ['t1', 't2'] },
    ]);
    expect(await settled(waits)).toEqual([]);
    second.plan([{ groupId: 'a', topics: ['t1'] }]);
    expect(await settled(waits)).toEqual(['t3', 'unread']);
    first.release('a');
    expect(await settled(waits)).toEqual(['t3', 'unread']);
    second.release('a');
    expect(await settled(waits)).toEqual(['a', 't3', 'unread']);
    first.release('b');
    expect(await settled(waits)).toEqual(['a', 'b', 't1', 't3', 'unread']);
  });

  it('a reader that names nothing holds every group and topic until it finishes; finishing releases what it still held', async () => {
    const reads = new RestoredReads();
    const silent = reads.reader();
    const planned = reads.reader();
    planned.plan([{ groupId: 'a', topics: ['t1'] }]);
    const waits = { a: reads.groupsRead(['a']), other: reads.groupsRead(['other']), t9: reads.topicsRead(['t9']) };
    expect(await settled(waits)).toEqual([]);
    silent.finish();
    expect(await settled(waits)).toEqual(['other', 't9']);
    planned.finish();
    expect(await settled(waits)).toEqual(['a', 'other', 't9']);
  });

  it('runProbes hands each offsets probe its own reader: a probe waiting on a group goes on while the reader still reads others', async () => {
    const events: string[] = [];
    const reader: ProbeRunner = {
      id: 'offsets',
      type: 'offsets',
      name: 'offsets',
      readsCommittedOffsets: true,
      async check(context: ProbeContext) {
        context.groupReader!.plan([
          { groupId: 'g1', topics: ['t1'] },
          { groupId: 'g2', topics: ['t2'] },
        ]);
        await tick();
        events.push('g1 read');
        context.groupReader!.release('g1');
        await new Promise((resolve) => setTimeout(resolve, 50));
        events.push('g2 read');
        context.groupReader!.release('g2');
        return { status: 'passed', evidence: [] };
      },
    };
    const waiter: ProbeRunner = {
      id: 'authorization',
      type: 'authorization',
      name: 'authorization',
      defersOwnWrites: true,
      async check(context: ProbeContext) {
        await context.restoredReads!.groupsRead(['g1']);
        events.push('joined g1');
        await context.restoredReads!.topicsRead(['t2']);
        events.push('wrote t2');
        return { status: 'passed', evidence: [] };
      },
    };
    const context = { signal: new AbortController().signal, timeoutMs: 5_000 } as unknown as ProbeRunContext;
    const outcomes = await runProbes([waiter, reader], context);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['passed', 'passed']);
    expect(events).toEqual(['g1 read', 'joined g1', 'g2 read', 'wrote t2']);
  });
});
