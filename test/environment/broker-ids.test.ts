import { describe, expect, it } from 'vitest';
import { describeMapping, keyedByTargetBroker, planBrokerIds, targetBrokerOf } from '../../src/environment/broker-ids.js';

describe('planBrokerIds', () => {
  it('keeps ids numbered from 0 when they fit', () => {
    const plan = planBrokerIds([2, 0, 1], 3);
    expect(plan.targetIds).toEqual([0, 1, 2]);
    expect(plan.mapping).toEqual([
      { source: 0, target: 0 },
      { source: 1, target: 1 },
      { source: 2, target: 2 },
    ]);
    expect(describeMapping(plan)).toBe("brokers 0, 1, 2 (the snapshot's broker ids)");
  });

  it('keeps ids from 1001 and fills brokers the source does not account for with the next free ids', () => {
    const plan = planBrokerIds([1002], 3);
    expect(plan.targetIds).toEqual([1002, 1003, 1004]);
    expect(plan.mapping).toEqual([{ source: 1002, target: 1002 }]);
    expect(planBrokerIds([0, 2], 3).targetIds).toEqual([0, 1, 2]);
    expect(planBrokerIds([1001, 1003], 5).targetIds).toEqual([1001, 1002, 1003, 1004, 1005]);
  });

  it('takes the lowest source ids when the target has fewer brokers; the others map to none', () => {
    const plan = planBrokerIds([1003, 1001, 1002], 1);
    expect(plan.targetIds).toEqual([1001]);
    expect(plan.mapping).toEqual([
      { source: 1001, target: 1001 },
      { source: 1002, target: null },
      { source: 1003, target: null },
    ]);
    expect(targetBrokerOf(1002, plan.targetIds, plan.mapping)).toBeUndefined();
    expect(targetBrokerOf(1001, plan.targetIds, plan.mapping)).toBe(1001);
    expect(describeMapping(plan)).toBe("brokers 1001 (the snapshot's lowest 1 broker id(s) of 3); source broker 1002 → none, 1003 → none");
  });

  it('numbers brokers 1..N when the snapshot names no broker', () => {
    const plan = planBrokerIds([], 3);
    expect(plan.targetIds).toEqual([1, 2, 3]);
    expect(plan.mapping).toEqual([]);
    expect(plan.rule).toBe('the snapshot names no broker ids: 1..N');
  });

  it("with the spec's ids: the same id first, then the rest in ascending order", () => {
    const plan = planBrokerIds([1001, 1002, 1003], 3, [2, 1002, 1]);
    expect(plan.targetIds).toEqual([1, 2, 1002]);
    expect(plan.mapping).toEqual([
      { source: 1001, target: 1 },
      { source: 1002, target: 1002 },
      { source: 1003, target: 2 },
    ]);
    expect(describeMapping(plan)).toBe("brokers 1, 2, 1002 (the spec's target.brokerIds); source broker 1001 → 1, 1003 → 2");
  });

  it('without a mapping, a source broker stands for the target broker of the same id', () => {
    expect(targetBrokerOf(2, [1, 2, 3])).toBe(2);
    expect(targetBrokerOf(1001, [1, 2, 3])).toBeUndefined();
    // A cluster that did not take the planned ids: a mapped id it lacks is no broker.
    expect(targetBrokerOf(1001, [7], [{ source: 1001, target: 1001 }])).toBeUndefined();
  });

  it('re-keys per-broker entries by target broker, keeping the source id where no target broker stands for it', () => {
    const plan = planBrokerIds([1001, 1002, 1003], 2, [1, 1002]);
    expect(keyedByTargetBroker({ '1001': 'a', '1002': 'b', '1003': 'c' }, plan.mapping)).toEqual({ '1': 'a', '1002': 'b', '1003': 'c' });
  });

  it("with the spec's ids and more source brokers than target ones, the highest source ids map to none", () => {
    const plan = planBrokerIds([0, 1, 2, 3, 4], 2, [7, 8]);
    expect(plan.mapping.map((entry) => entry.target)).toEqual([7, 8, null, null, null]);
  });
});
