/**
 * Owners: which team a finding, check, assumption or manual step belongs to, from the spec's
 * `owners:` section. One resolver (ownerOf) for every asset; assignOwners puts the owner on every
 * item of a run that a person has to act on, once, at the end of the run.
 */
import type { Asset, AssetKind } from '../model/asset.js';
import type { AssumptionSpec, OwnersSpec } from '../drill-spec/schema.js';
import type { Finding, ProbeEvidence, ProbeRecord, Run } from '../model/result.js';
import { ownersSchema } from '../drill-spec/schema.js';
import type { RestoreManualStep } from '../restore/phase.js';
import { globMatcher } from '../glob.js';

/** A spec pattern, compiled: a literal matches itself only; a glob's `*` any run of characters, `?` one. */
interface CompiledPattern {
  team: string;
  literal: boolean;
  /** Characters that are not wildcards: the more, the more specific. */
  fixed: number;
  order: number;
  test: (name: string) => boolean;
}

const patternKeys = { topic: 'topics', group: 'groups', principal: 'principals', connector: 'connectors' } as const;
const defaultKeys: Record<AssetKind, keyof OwnersSpec['defaults']> = {
  topic: 'topics',
  group: 'groups',
  principal: 'security',
  connector: 'connectors',
  broker: 'brokers',
  security: 'security',
};

export type OwnerResolver = (asset: Asset) => string;

/** The resolver for a spec's owners (defaults alone when the spec has none). */
export function ownerResolver(owners: OwnersSpec = ownersSchema.parse({})): OwnerResolver {
  const compiled = new Map<AssetKind, CompiledPattern[]>();
  let order = 0;
  for (const [team, assets] of Object.entries(owners.teams)) {
    for (const [kind, key] of Object.entries(patternKeys) as [keyof typeof patternKeys, (typeof patternKeys)[keyof typeof patternKeys]][]) {
      for (const pattern of assets[key]) {
        const list = compiled.get(kind) ?? [];
        list.push({ team, literal: !/[*?]/.test(pattern), fixed: pattern.replace(/[*?]/g, '').length, order: order++, test: globMatcher(pattern) });
        compiled.set(kind, list);
      }
    }
  }
  for (const list of compiled.values()) list.sort((a, b) => Number(b.literal) - Number(a.literal) || b.fixed - a.fixed || a.order - b.order);
  return (asset) => {
    if (asset.name !== undefined) {
      const match = compiled.get(asset.kind)?.find((pattern) => pattern.test(asset.name!));
      if (match) return match.team;
    }
    return owners.defaults[defaultKeys[asset.kind]];
  };
}

const phaseKinds: Record<string, AssetKind> = {
  topics: 'topic',
  data: 'topic',
  offsets: 'group',
  connectors: 'connector',
  security: 'security',
};

/**
 * The asset a restore finding is about. Restore phases name their objects in a fixed form
 * ("topic orders config x", "group g orders-0", "scram user app", "acl User:app …", "quota user=app",
 * "connector sink"); anything else belongs to its phase's kind, or to the brokers.
 */
export function findingAsset(phase: string, finding: Pick<Finding, 'object'>): Asset {
  return objectAsset(finding.object) ?? { kind: phaseKinds[phase] ?? 'broker' };
}

function objectAsset(object: string): Asset | undefined {
  const [first, second, third] = object.split(' ');
  if (first === 'topic' && second) return { kind: 'topic', name: second };
  if (first === 'topics') return { kind: 'topic' };
  if (first === 'group' && second) return { kind: 'group', name: second };
  if (first === 'connector' && second) return { kind: 'connector', name: second };
  if (first === 'connectors') return { kind: 'connector' };
  if (first === 'scram' && second === 'user' && third) return { kind: 'principal', name: `User:${third}` };
  if (first === 'scram-user' && second) return { kind: 'principal', name: `User:${second}` };
  if (first === 'acl' && second?.startsWith('User:')) return { kind: 'principal', name: second };
  if (first === 'acl') return { kind: 'security' };
  if (first === 'quota' && second) {
    const user = /^user=([^,]+)/.exec(second)?.[1];
    return user && user !== '<default>' ? { kind: 'principal', name: `User:${user}` } : { kind: 'security' };
  }
  if (first === 'broker' || first === 'cluster') return { kind: 'broker' };
  // "User:svc DESCRIBE group g": what a principal was refused (an unexpected denial) is that principal's.
  if (first?.startsWith('User:')) return { kind: 'principal', name: first };
  return undefined;
}

const probeKinds: Record<string, AssetKind> = {
  'offset-resumption': 'group',
  offsets: 'group',
  'produce-consume': 'topic',
  'connector-idempotency': 'connector',
  authorization: 'principal',
  quota: 'principal',
};

/**
 * The asset a probe check is about: the principal it ran as for authorization and quota checks,
 * else the group, topic or connector its resource names, else its probe kind's default.
 */
export function checkAsset(probe: Pick<ProbeRecord, 'type'>, check: Pick<ProbeEvidence, 'principal' | 'resource'>): Asset {
  const kind = probeKinds[probe.type];
  if (kind === 'principal') return check.principal?.startsWith('User:') ? { kind: 'principal', name: check.principal } : { kind: 'security' };
  const fromResource = check.resource ? objectAsset(check.resource) : undefined;
  if (fromResource && fromResource.kind !== 'broker') return fromResource;
  if (probe.type === 'connector-idempotency' && check.resource) return { kind: 'connector', name: check.resource.split(' ')[0]! };
  return { kind: kind ?? 'broker' };
}

/** The asset a declared assumption is about. */
export function assumptionAsset(spec: AssumptionSpec): Asset {
  switch (spec.type) {
    case 'topic-config':
      return { kind: 'topic', name: spec.topic };
    case 'group-offset':
      return { kind: 'group', name: spec.group };
    case 'acl':
      return { kind: 'principal', name: spec.principal };
    case 'user-exists':
      return { kind: 'principal', name: `User:${spec.user}` };
    case 'quota':
      return spec.entity.user && spec.entity.user !== '<default>' ? { kind: 'principal', name: `User:${spec.entity.user}` } : { kind: 'security' };
    case 'tls-trusted':
    case 'tls-expiry':
      return { kind: 'security' };
    case 'topic-configs-accepted':
      return { kind: 'topic' };
    case 'broker-config':
    case 'broker-configs-accepted':
      return { kind: 'broker' };
  }
}

/** The implicit assumptions the restore adds (drill/assumptions.ts), by id. */
const implicitAssumptionKinds: Record<string, AssetKind> = {
  'topic-configs-accepted': 'topic',
  'replication-preserved': 'topic',
  'broker-configs-accepted': 'broker',
  'acls-accepted': 'security',
  'offsets-within-log': 'group',
};

/**
 * Puts the owner on every finding, failed or skipped check and assumption of a run, and on the
 * restore's own manual steps (declared steps name theirs). Declared assumptions are matched to
 * their specs in order: evaluateDeclared makes one per spec.
 */
export function assignOwners(run: Run, owners: OwnersSpec, assumptions: AssumptionSpec[], restoreSteps: readonly RestoreManualStep[] = []): void {
  const ownerOf = ownerResolver(owners);
  for (const phase of run.phases) for (const finding of phase.findings) finding.owner = ownerOf(findingAsset(phase.name, finding));
  for (const probe of run.probes) {
    for (const check of probe.evidence) if (check.outcome !== 'passed') check.owner = ownerOf(checkAsset(probe, check));
  }
  const declared = run.assumptions.filter((assumption) => assumption.source === 'declared');
  declared.forEach((assumption, index) => {
    const spec = assumptions[index];
    assumption.owner = ownerOf(spec ? assumptionAsset(spec) : { kind: 'broker' });
  });
  for (const assumption of run.assumptions) {
    if (assumption.source === 'implicit') assumption.owner = ownerOf({ kind: implicitAssumptionKinds[assumption.id] ?? 'broker' });
  }
  for (const step of run.manualSteps) {
    if (step.source !== 'restore') continue;
    const restored = restoreSteps.find((candidate) => candidate.id === step.id);
    step.owner = ownerOf(restored?.asset ?? { kind: phaseKinds[step.phase] ?? 'broker' });
  }
}
