import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ownersSchema } from '../../src/drill-spec/schema.js';
import { parseSpecText } from '../../src/drill-spec/load.js';
import { assignOwners, checkAsset, findingAsset, ownerResolver } from '../../src/drill/owners.js';
import { globMatcher } from '../../src/glob.js';
import { loadFixture } from '../report/fixtures.js';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import { repoRoot } from '../support/require.js';
import { CLI } from '../cli/run-cli.js';

const owners = ownersSchema.parse({
  teams: {
    payments: { topics: ['payments.*', 'shop.orders'], groups: ['billing-?'], principals: ['User:svc-pay*'], connectors: ['orders-sink'] },
    shop: { topics: ['shop.*'], groups: ['shop-*'], principals: ['User:shop-*'] },
    ledger: { topics: ['payments.ledger*'] },
  },
});
const ownerOf = ownerResolver(owners);

describe('owner patterns', () => {
  it('a literal matches itself only; * any run of characters (none included); ? exactly one', () => {
    expect(globMatcher('shop.orders')('shop.orders')).toBe(true);
    expect(globMatcher('shop.orders')('shopXorders')).toBe(false);
    expect(globMatcher('shop.*')('shop.')).toBe(true);
    expect(globMatcher('shop.*')('shop.orders.dlq')).toBe(true);
    expect(globMatcher('shop.*')('shopping')).toBe(false);
    expect(globMatcher('billing-?')('billing-1')).toBe(true);
    expect(globMatcher('billing-?')('billing-12')).toBe(false);
    expect(globMatcher('a*b*c')('a-x-b-y-c')).toBe(true);
    expect(globMatcher('a*b*c')('a-x-c-b')).toBe(false);
    // Regular-expression characters in a name are literal.
    expect(globMatcher('g(1)+[x]*')('g(1)+[x]-a')).toBe(true);
    expect(globMatcher('g(1)+[x]*')('g1+x-a')).toBe(false);
  });

  it('the most specific pattern wins: a literal over any glob, then more fixed characters, whatever the spec order', () => {
    expect(ownerOf({ kind: 'topic', name: 'shop.orders' })).toBe('payments');
    expect(ownerOf({ kind: 'topic', name: 'shop.returns' })).toBe('shop');
    expect(ownerOf({ kind: 'topic', name: 'payments.ledger.eu' })).toBe('ledger');
    expect(ownerOf({ kind: 'topic', name: 'payments.cards' })).toBe('payments');
    expect(ownerOf({ kind: 'group', name: 'billing-7' })).toBe('payments');
    expect(ownerOf({ kind: 'principal', name: 'User:svc-payments' })).toBe('payments');
    expect(ownerOf({ kind: 'connector', name: 'orders-sink' })).toBe('payments');
  });

  it('what no pattern matches goes to its kind default: platform, application, data, security', () => {
    expect(ownerOf({ kind: 'topic', name: 'metrics' })).toBe('platform');
    expect(ownerOf({ kind: 'topic' })).toBe('platform');
    expect(ownerOf({ kind: 'broker' })).toBe('platform');
    expect(ownerOf({ kind: 'group', name: 'analytics' })).toBe('application');
    expect(ownerOf({ kind: 'connector', name: 'other' })).toBe('data');
    expect(ownerOf({ kind: 'principal', name: 'User:admin' })).toBe('security');
    expect(ownerOf({ kind: 'security' })).toBe('security');
    // A pattern of one kind never matches another kind.
    expect(ownerOf({ kind: 'group', name: 'shop.orders' })).toBe('application');
    const custom = ownerResolver(ownersSchema.parse({ defaults: { topics: 'streaming', security: 'iam' } }));
    expect([custom({ kind: 'topic', name: 'x' }), custom({ kind: 'principal', name: 'User:x' }), custom({ kind: 'broker' })]).toEqual(['streaming', 'iam', 'platform']);
  });

  it('restore findings and probe checks resolve through the object they name', () => {
    const cases: [string, string, string][] = [
      ['topics', 'topic shop.orders config retention.ms', 'payments'],
      ['topics', 'topics a, b', 'platform'],
      ['offsets', 'group shop-fulfilment shop.orders-0', 'shop'],
      ['security', 'scram user svc-payments', 'payments'],
      ['security', 'acl User:shop-reader ALLOW READ TOPIC shop.orders (LITERAL, host *)', 'shop'],
      ['security', 'acl User:admin ALLOW ALL CLUSTER kafka-cluster (LITERAL, host *)', 'security'],
      ['security', 'quota user=svc-pay1,client-id=etl', 'payments'],
      ['security', 'quota user=<default>', 'security'],
      ['connectors', 'connector orders-sink', 'payments'],
      ['cluster-configs', 'broker 1 config log.retention.ms', 'platform'],
      ['environment', 'broker-1', 'platform'],
      ['data', 'data', 'platform'],
    ];
    for (const [phase, object, team] of cases) expect([object, ownerOf(findingAsset(phase, { object }))]).toEqual([object, team]);
    expect(ownerOf(checkAsset({ type: 'authorization' }, { principal: 'User:shop-writer', resource: 'topic payments.cards' }))).toBe('shop');
    expect(ownerOf(checkAsset({ type: 'offsets' }, { resource: 'group billing-1 payments.cards:0' }))).toBe('payments');
    expect(ownerOf(checkAsset({ type: 'produce-consume' }, { principal: 'User:admin', resource: 'topic shop.orders' }))).toBe('payments');
    expect(ownerOf(checkAsset({ type: 'custom' }, { resource: '/x/probe.mjs' }))).toBe('platform');
  });
});

describe('owners in a drill spec', () => {
  const spec = (owners: string) => `snapshot: s.json\nowners:\n${owners}`;
  const problem = (owners: string) => {
    try {
      parseSpecText(spec(owners), 'drills/x.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as InputError).message;
    }
    throw new Error('the spec was accepted');
  };

  it('refuses bad patterns, naming the file, line and path', () => {
    expect(problem('  teams:\n    payments:\n      topics: ["shop orders"]\n')).toBe(
      'drills/x.yaml:5: owners.teams.payments.topics[0]: "shop orders": a topic name has only letters, digits, ".", "_" and "-" (and * or ? in a glob)',
    );
    expect(problem('  teams:\n    payments:\n      principals: ["svc-*"]\n')).toBe('drills/x.yaml:5: owners.teams.payments.principals[0]: "svc-*": expected "User:<name or glob>"');
    expect(problem('  teams:\n    payments:\n      groups: ["a**"]\n')).toBe(
      'drills/x.yaml:5: owners.teams.payments.groups[0]: "a**": write one * for any run of characters, not **',
    );
    expect(problem('  teams:\n    a:\n      topics: [x]\n    b:\n      topics: [y, x]\n')).toBe('drills/x.yaml:7: owners.teams.b.topics[1]: "x" is already owned by team a');
    expect(problem('  teams:\n    payments: {}\n')).toMatch(/^drills\/x\.yaml:4: owners\.teams\.payments: give at least one of topics, groups, principals, connectors$/);
    expect(problem('  teams:\n    payments:\n      topic: [x]\n')).toMatch(/owners\.teams\.payments: unknown key "topic"/);
    expect(problem('  defaults:\n    security: ""\n')).toMatch(/^drills\/x\.yaml:4: owners\.defaults\.security: expected a team name/);
  });

  it('kafka-drill validate exits 2 on a bad owners section', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(CLI[0], [CLI[1], 'validate', 'test/drill-spec/bad/bad-owner-pattern.yaml'], { cwd: repoRoot, stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toContain('bad-owner-pattern.yaml:8: owners.teams.payments.principals[0]: "payments-svc": expected "User:<name or glob>"');
  });
});

describe('assignOwners, at the end of a run', () => {
  it("gives a real drill's run the owners it recorded, and the restore's own steps the owner of what they are about", () => {
    const recorded = loadFixture('real/mixed').runs[0]!;
    const run = structuredClone(recorded);
    for (const check of run.probes.flatMap((probe) => probe.evidence)) delete check.owner;
    for (const assumption of run.assumptions) delete assumption.owner;
    run.manualSteps.push({
      id: 'credential-shop-writer',
      title: 'Supply the real credential for User:shop-writer',
      owner: 'recovery team',
      phase: 'security',
      estimateMinutes: 10,
      source: 'restore',
      automated: false,
      status: 'pending',
    });
    run.phases.find((phase) => phase.name === 'topics')!.findings.push({ code: 'replication-clamped', severity: 'warning', object: 'topic shop.audit', message: 'lowered' });
    const { spec } = parseSpecText(readFileSync(`${repoRoot}/test/report/drills/mixed.yaml`, 'utf8'), 'mixed.yaml');
    assignOwners(run, spec.owners, spec.assumptions, [
      { id: 'credential-shop-writer', title: 'x', phase: 'security', estimateMinutes: 10, asset: { kind: 'principal', name: 'User:shop-writer' } },
    ]);
    expect(run.probes.flatMap((probe) => probe.evidence.map((check) => check.owner))).toEqual(recorded.probes.flatMap((probe) => probe.evidence.map((check) => check.owner)));
    expect(run.assumptions.map((assumption) => assumption.owner)).toEqual(recorded.assumptions.map((assumption) => assumption.owner));
    expect(run.manualSteps.map((step) => [step.id, step.owner])).toEqual([
      ['point-shop-dns', 'shop-app'],
      ['credential-shop-writer', 'shop-app'],
    ]);
    expect(run.phases.flatMap((phase) => phase.findings).at(-1)?.owner).toBe('catalog');
  });
});
