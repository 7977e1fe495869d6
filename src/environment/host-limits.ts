import { readFileSync } from 'node:fs';
import type { ProviderName } from '../model/enums.js';
import { InputError } from '../errors.js';

/** This host's limits that bound how many partitions a broker can host; undefined where the host does not say (not Linux). */
export interface HostLimits {
  /** RLIMIT_NOFILE of this process, which the brokers it starts inherit. "unlimited" reads as Infinity. */
  openFiles?: { soft: number; hard: number };
  /** vm.max_map_count: memory maps per process, one host-wide setting (containers share it). */
  maxMapCount?: number;
}

/** What one broker needs, from the snapshot (sizing.ts). */
export interface BrokerLimitsNeeded {
  openFiles: number;
  memoryMaps: number;
  replicasPerBroker: number;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

const limitValue = (text: string): number => (text === 'unlimited' ? Infinity : Number(text));

/** Parses /proc/<pid>/limits' "Max open files" line. */
export function parseOpenFilesLimit(limitsText: string): { soft: number; hard: number } | undefined {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  return match ? { soft: limitValue(match[1]!), hard: limitValue(match[2]!) } : undefined;
}

export function readHostLimits(): HostLimits {
  const limits = readOrUndefined('/proc/self/limits');
  const maps = readOrUndefined('/proc/sys/vm/max_map_count');
  const openFiles = limits === undefined ? undefined : parseOpenFilesLimit(limits);
  return { ...(openFiles ? { openFiles } : {}), ...(maps !== undefined ? { maxMapCount: Number(maps.trim()) } : {}) };
}

/**
 * Why this host cannot run the brokers a drill needs, one sentence each; empty when it can.
 * The process provider raises its brokers' soft open-file limit up to the hard one and no further;
 * docker containers keep the daemon's limit, raised where the snapshot needs more (if the daemon
 * allows it). Memory maps are the host's for both.
 */
export function brokerLimitProblems(needed: BrokerLimitsNeeded, host: HostLimits, provider: ProviderName): string[] {
  if (provider === 'external') return [];
  const problems: string[] = [];
  const why = `${needed.replicasPerBroker} partition replica(s) per broker`;
  if (provider === 'process' && host.openFiles && host.openFiles.hard < needed.openFiles) {
    problems.push(
      `each broker needs an open-file limit of ${needed.openFiles} for ${why}; this host's hard limit is ${host.openFiles.hard} (raise it with \`ulimit -Hn ${needed.openFiles}\` as root or in /etc/security/limits.conf, add brokers, or use --provider docker)`,
    );
  }
  if (host.maxMapCount !== undefined && host.maxMapCount < needed.memoryMaps) {
    problems.push(
      `each broker needs ${needed.memoryMaps} memory maps for ${why}; this host's vm.max_map_count is ${host.maxMapCount} (raise it with \`sysctl -w vm.max_map_count=${needed.memoryMaps}\`, or add brokers)`,
    );
  }
  return problems;
}

/**
 * The soft open-file limit the process provider gives each broker: the hard limit, all the host
 * allows (what HotSpot on Linux would take by itself), or `needed` where the hard limit is
 * unlimited; undefined where the host does not say. Refused (InputError) below `needed`.
 */
export function brokerOpenFilesLimit(needed: number, host: HostLimits): number | undefined {
  if (!host.openFiles) return undefined;
  const { soft, hard } = host.openFiles;
  if (hard < needed) throw new InputError(`each broker needs an open-file limit of ${needed}; this host's hard limit is ${hard}`);
  return Number.isFinite(hard) ? hard : Math.max(needed, soft);
}
