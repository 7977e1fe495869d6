import { describe, expect, it } from 'vitest';
import { brokerLimitProblems, brokerOpenFilesLimit, parseOpenFilesLimit, type HostLimits } from '../../src/environment/host-limits.js';
import { InputError } from '../../src/errors.js';

const LIMITS_TEXT = `Limit                     Soft Limit           Hard Limit           Units
Max processes             unlimited            unlimited            processes
Max open files            1024                 20000                files
Max locked memory         8388608              8388608              bytes
`;

const needed = { replicasPerBroker: 30_000, openFiles: 35_253, memoryMaps: 68_253 };
const host: HostLimits = { openFiles: { soft: 1024, hard: 20_000 }, maxMapCount: 65_530 };

describe('host limits', () => {
  it('reads the open-file limits from /proc/<pid>/limits, unlimited as Infinity', () => {
    expect(parseOpenFilesLimit(LIMITS_TEXT)).toEqual({ soft: 1024, hard: 20_000 });
    expect(parseOpenFilesLimit('Max open files            unlimited            unlimited            files')).toEqual({ soft: Infinity, hard: Infinity });
    expect(parseOpenFilesLimit('Max processes 1 1')).toBeUndefined();
  });

  it('refuses with the number needed where the hard limit or vm.max_map_count is short', () => {
    expect(brokerLimitProblems(needed, host, 'process')).toEqual([
      expect.stringMatching(/^each broker needs an open-file limit of 35253 for 30000 partition replica\(s\) per broker; this host's hard limit is 20000 /),
      expect.stringMatching(/^each broker needs 68253 memory maps for 30000 partition replica\(s\) per broker; this host's vm.max_map_count is 65530 /),
    ]);
    // The docker provider sets its containers' open-file limit; the memory maps are the host's.
    expect(brokerLimitProblems(needed, host, 'docker')).toEqual([expect.stringContaining('vm.max_map_count is 65530')]);
    expect(brokerLimitProblems(needed, host, 'external')).toEqual([]);
    expect(brokerLimitProblems({ replicasPerBroker: 15_000, openFiles: 18_753, memoryMaps: 35_253 }, host, 'process')).toEqual([]);
    expect(brokerLimitProblems(needed, {}, 'process')).toEqual([]);
  });

  it('gives brokers the hard limit, refusing one below what they need', () => {
    expect(brokerOpenFilesLimit(18_753, host)).toBe(20_000);
    expect(() => brokerOpenFilesLimit(35_253, host)).toThrow(InputError);
    expect(() => brokerOpenFilesLimit(35_253, host)).toThrow(/needs an open-file limit of 35253; this host's hard limit is 20000/);
    expect(brokerOpenFilesLimit(5_000, { openFiles: { soft: 1024, hard: Infinity } })).toBe(5_000);
    expect(brokerOpenFilesLimit(5_000, {})).toBeUndefined();
  });
});
