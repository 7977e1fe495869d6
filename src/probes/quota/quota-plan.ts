import { quotaEntityLabel, type Quota } from '../../snapshot/schema.js';

/**
 * What the quota probe checks, planned from the snapshot's quotas alone (pure): for each
 * restored byte-rate quota, a principal and client id whose traffic that quota governs on the
 * target — by Kafka's own precedence — and, per quota key, a control principal that no such
 * quota governs. Quotas it cannot exercise are planned as skips with their reason.
 */
export const byteRateKeys = ['producer_byte_rate', 'consumer_byte_rate'] as const;
export type ByteRateKey = (typeof byteRateKeys)[number];

const skipReasons: Record<string, string> = {
  request_percentage: 'request_percentage (request handler time) is not measured by this probe',
  controller_mutation_rate: 'controller_mutation_rate (topic/partition mutations) is not measured by this probe',
  connection_creation_rate: 'connection_creation_rate (new connections per second) is not measured by this probe',
};

export interface QuotaCheckPlan {
  /** Kafka's name of the entity: `user=alice,client-id=<default>`. */
  entity: string;
  key: ByteRateKey;
  bytesPerSecond: number;
  /** The SCRAM user the probe logs in as, and the client id it sends. */
  user: string;
  clientId: string;
}

export interface QuotaControlPlan {
  key: ByteRateKey;
  user: string;
  clientId: string;
  /** The quota that does govern the control (far above what it sends), if any. */
  governedBy?: { entity: string; bytesPerSecond: number };
}

export interface QuotaSkipPlan {
  entity: string;
  key: string;
  value: number;
  reason: string;
}

export interface QuotaPlan {
  checks: QuotaCheckPlan[];
  controls: QuotaControlPlan[];
  skipped: QuotaSkipPlan[];
}

export interface QuotaPlanInput {
  quotas: readonly Quota[];
  /**
   * Users the probe can log in as, in order of preference: restored users with a password,
   * then the drill's admin (quotas apply to super users too).
   */
  users: readonly string[];
  /** Entity labels to probe; undefined: every entity. */
  entities?: readonly string[] | undefined;
  /** A client id no quota names; `n` makes one per check. */
  freshClientId: (n: number) => string;
  /** Largest quota worth measuring: above it the probe would have to move too many bytes. */
  maxBytesPerSecond: number;
}

/** A control must stay this many times below the quota that governs it, if one does. */
export const CONTROL_HEADROOM = 4;

type Part = string | null | undefined; // a name, <default> (null), or absent (undefined)

/**
 * The quota of `key` Kafka applies to (user, clientId): the first entity in the default quota
 * callback's precedence order that has a value for this key (each key is its own quota manager).
 */
export function governingQuota(quotas: readonly Quota[], user: string, clientId: string, key: string): Quota | undefined {
  const order: [Part, Part][] = [
    [user, clientId],
    [user, null],
    [user, undefined],
    [null, clientId],
    [null, null],
    [null, undefined],
    [undefined, clientId],
    [undefined, null],
  ];
  for (const [userPart, clientPart] of order) {
    const found = quotas.find((quota) => key in quota.values && matches(quota, userPart, clientPart));
    if (found) return found;
  }
  return undefined;
}

function matches(quota: Quota, userPart: Part, clientPart: Part): boolean {
  const partOf = (type: 'user' | 'client-id' | 'ip'): Part => {
    const part = quota.entity.find((p) => p.type === type);
    return part === undefined ? undefined : part.name;
  };
  return partOf('ip') === undefined && partOf('user') === userPart && partOf('client-id') === clientPart;
}

export function planQuotaChecks(input: QuotaPlanInput): QuotaPlan {
  const checks: QuotaCheckPlan[] = [];
  const skipped: QuotaSkipPlan[] = [];
  const wanted = input.entities ? new Set(input.entities) : undefined;
  let n = 0;
  for (const quota of input.quotas) {
    const entity = quotaEntityLabel(quota.entity);
    if (wanted && !wanted.has(entity)) continue;
    for (const [key, value] of Object.entries(quota.values)) {
      const skip = (reason: string) => skipped.push({ entity, key, value, reason });
      if (!(byteRateKeys as readonly string[]).includes(key)) {
        skip(skipReasons[key] ?? `${key} is not measured by this probe`);
        continue;
      }
      if (quota.entity.some((part) => part.type === 'ip')) {
        skip('ip entities only take connection_creation_rate');
        continue;
      }
      if (!(value > 0)) {
        skip(`${value} is not a rate the probe can exceed`);
        continue;
      }
      if (value > input.maxBytesPerSecond) {
        skip(
          `${formatRate(value)} is above the probe's limit of ${formatRate(input.maxBytesPerSecond)}: exceeding it takes more than ${formatBytes(12 * input.maxBytesPerSecond)}`,
        );
        continue;
      }
      const named = (type: 'user' | 'client-id') => quota.entity.find((part) => part.type === type);
      const userPart = named('user');
      const clientPart = named('client-id');
      const clientId = clientPart?.name ?? input.freshClientId(++n);
      const candidates = userPart?.name ? input.users.filter((user) => user === userPart.name) : input.users;
      const governed = candidates.map((user) => ({ user, governing: governingQuota(input.quotas, user, clientId, key) }));
      const user = governed.find((candidate) => candidate.governing === quota)?.user;
      if (user === undefined) {
        if (userPart?.name && !input.users.includes(userPart.name)) skip(`the probe has no password for user ${userPart.name}`);
        else if (governed.length === 0) skip('no user the probe can log in as falls under it');
        else {
          const shadow = governed.find((candidate) => candidate.governing)?.governing;
          skip(`no user the probe can log in as falls under it${shadow ? `: ${quotaEntityLabel(shadow.entity)} takes precedence` : ''}`);
        }
        continue;
      }
      checks.push({ entity, key: key as ByteRateKey, bytesPerSecond: value, user, clientId });
    }
  }
  return { checks, controls: planControls(input, checks, n), skipped };
}

function planControls(input: QuotaPlanInput, checks: QuotaCheckPlan[], used: number): QuotaControlPlan[] {
  const controls: QuotaControlPlan[] = [];
  for (const key of byteRateKeys) {
    const rates = checks.filter((check) => check.key === key).map((check) => check.bytesPerSecond);
    if (rates.length === 0) continue;
    const highest = Math.max(...rates);
    const clientId = input.freshClientId(used + controls.length + 1);
    for (const user of input.users) {
      const governing = governingQuota(input.quotas, user, clientId, key);
      if (governing && governing.values[key]! < CONTROL_HEADROOM * highest) continue;
      controls.push({ key, user, clientId, ...(governing ? { governedBy: { entity: quotaEntityLabel(governing.entity), bytesPerSecond: governing.values[key]! } } : {}) });
      break;
    }
  }
  return controls;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}
