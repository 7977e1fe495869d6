import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { formatSpecPath, loadSpec, parseSpecText } from '../../src/drill-spec/load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bad = (name: string) => path.join(here, 'bad', name);
const good = (name: string) => path.join(here, 'good', name);

async function loadError(file: string): Promise<string> {
  const error = await loadSpec(file).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).message;
}

describe('loadSpec refuses bad input with file, line and path', () => {
  // One file per mistake; the expected message is exact, line number included.
  const corpus: [file: string, line: string][] = [
    ['bad-principal.yaml', ':13: probes[1].expect[1].principal: expected "User:<name>"'],
    [
      'unknown-probe-type.yaml',
      ':4: probes[1].type: expected one of "authorization", "offsets", "produce-consume", "custom", "connector-idempotency", "quota", "records-consumed", "consumer-lag", "streams", got "latency"',
    ],
    ['unknown-key.yaml', ':5: probes[0]: unknown key "tolerence"'],
    ['wrong-type.yaml', ':4: probes[0].topics: expected array, got string "orders"'],
    ['brokers-6.yaml', ':4: target.brokers: expected one of 1, 2, 3, 4, 5, got 6'],
    ['duplicate-manual-step-id.yaml', ':13: manualSteps[2].id: duplicate id "rotate-certs" (also manualSteps[0].id)'],
    // Its consumer would read the group twice, and the group would be released to other probes after the first.
    ['duplicate-offsets-group.yaml', ':5: probes[0].groups: a group is listed twice'],
    ['yaml-syntax.yaml', ':4: YAML syntax error: All mapping items must start at the same column'],
    ['missing-snapshot.yaml', ': snapshot: give either snapshot (a file) or source (a live cluster captured at drill start), not both and not neither'],
    ['external-without-cluster-id.yaml', ':2: target.clusterId: required when provider is "external"'],
    ['unknown-phase.yaml', ':3: restore.phases[1]: expected one of "topics", "cluster-configs", "security", "data", "offsets", "connectors", got "acls"'],
    ['bad-credential-source.yaml', ':4: restore.credentials["User:billing"]: expected { env: VAR }, { file: PATH } or { generate: true }'],
    ['json-syntax.json', ':4: JSON syntax error: Missing , between flow map items'],
    ['not-a-mapping.yaml', ': expected object, got array'],
  ];

  it.each(corpus)('%s', async (name, rest) => {
    expect(await loadError(bad(name))).toBe(`${bad(name)}${rest}`);
  });

  it('lists every problem, one per line, in file order', async () => {
    const file = bad('several-mistakes.yaml');
    expect((await loadError(file)).split('\n')).toEqual([
      `${file}:3: target.brokers: expected one of 1, 2, 3, 4, 5, got 6`,
      `${file}:4: target: unknown key "securty"`,
      `${file}:6: objectives.rtoMinutes: expected a number > 0, got -5`,
    ]);
  });

  it('says when the file is missing', async () => {
    const file = bad('no-such-spec.yaml');
    expect(await loadError(file)).toBe(`${file}: cannot read the drill spec: no such file`);
  });

  it('says when the file is empty', () => {
    expect(() => parseSpecText('# nothing yet\n', 'drills/empty.yaml')).toThrow('drills/empty.yaml: is empty (a drill spec needs at least "snapshot")');
  });

  it('names the file as the user gave it', () => {
    const text =
      'snapshot: s.json\ntarget:\n  security: scram\nprobes:\n  - type: authorization\n    expect:\n      - principal: Group:x\n        operation: READ\n        resource: { type: topic, name: t }\n        result: allow\n';
    expect(() => parseSpecText(text, 'drills/x.yaml')).toThrow(new InputError('drills/x.yaml:7: probes[0].expect[0].principal: expected "User:<name>"'));
  });

  it('needs SCRAM security for quota probes', () => {
    const text = 'snapshot: s.json\nprobes:\n  - type: quota\n';
    expect(() => parseSpecText(text, 'x.yaml')).toThrow(new InputError('x.yaml:3: probes[0].type: quota probes need target.security: scram (user quotas need users)'));
  });

  it('refuses a quota probe under mtls; every client class runs over TLS', () => {
    const text =
      'snapshot: s.json\ntarget:\n  security: mtls\nclients: [kafkajs, librdkafka]\nprobes:\n  - type: quota\n  - type: produce-consume\n    topics: [t]\n    clients: [java]\n';
    expect(() => parseSpecText(text, 'x.yaml')).toThrow(new InputError('x.yaml:6: probes[0].type: quota probes need target.security: scram (user quotas need users)'));
    expect(parseSpecText(text.replace('  - type: quota\n', ''), 'x.yaml').spec.clients).toEqual(['kafkajs', 'librdkafka']);
  });

  it('runs data: mirror on the providers that start Connect workers (process, docker), not on an external target', () => {
    const text = (provider: string) => `source: { bootstrap: '127.0.0.1:9092' }\ntarget: { provider: ${provider} }\nrestore:\n  data: mirror\n`;
    expect(parseSpecText(text('docker'), 'x.yaml').spec.restore.data).toBe('mirror');
    expect(parseSpecText(text('process'), 'x.yaml').spec.restore.data).toBe('mirror');
    const external = text('external, bootstrap: "h:9092", clusterId: abc, cleanup: keep');
    expect(() => parseSpecText(external, 'x.yaml')).toThrow(
      new InputError(
        'x.yaml:4: restore.data: data: mirror runs MirrorMaker 2 in Connect workers the drill starts: give provider "process" or "docker" (an external target has none)',
      ),
    );
  });

  it('needs SCRAM security for authorization probes', () => {
    const text = 'snapshot: s.json\nprobes:\n  - type: authorization\n    derive: true\n';
    expect(() => parseSpecText(text, 'x.yaml')).toThrow(new InputError('x.yaml:3: probes[0].type: authorization probes need target.security: scram, mtls or sasl_ssl'));
  });

  it('refuses a topic-config assumption with no expectation, and equals with min', () => {
    const text = [
      'snapshot: s.json',
      'assumptions:',
      '  - type: topic-config',
      '    topic: orders',
      '    config: retention.ms',
      '  - type: topic-config',
      '    topic: orders',
      '    config: retention.ms',
      '    min: 1',
      '    equals: 5',
    ].join('\n');
    expect(() => parseSpecText(text, 'x.yaml')).toThrow(
      new InputError('x.yaml:3: assumptions[0]: give one of equals, oneOf, min, max\nx.yaml:10: assumptions[1].equals: equals cannot be combined with min'),
    );
  });
});

describe('loadSpec accepts good specs', () => {
  it('fills every default in a minimal spec', async () => {
    const file = good('minimal.yaml');
    const loaded = await loadSpec(file);
    expect(loaded.spec).toEqual({
      name: 'minimal',
      snapshot: 'snapshot.json',
      target: { provider: 'process', brokers: 1, security: 'plaintext' },
      restore: {
        phases: ['topics', 'cluster-configs', 'security', 'data', 'offsets', 'connectors'],
        data: 'none',
        synthetic: { maxRecordsPerPartition: 1000 },
        mirror: { cutover: { catchUpTimeoutSeconds: 120 }, offsets: 'exact' },
        clampReplication: false,
        credentials: {},
        connectorSecrets: {},
        connectors: {},
      },
      probes: [],
      clients: ['kafkajs'],
      expectedFailures: [],
      assumptions: [],
      manualSteps: [],
      objectives: {},
      owners: { teams: {}, defaults: { brokers: 'platform', topics: 'platform', groups: 'application', connectors: 'data', security: 'security' } },
      sampling: { enabled: true, intervalSeconds: 2 },
    });
    expect(loaded.file).toBe(file);
    expect(loaded.dir).toBe(path.join(here, 'good'));
    expect(loaded.snapshotPath).toBe(path.join(here, 'good', 'snapshot.json'));
    expect(loaded.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  });

  it('reads a spec using every feature, runs phases in the fixed order and keeps config values as strings', async () => {
    const loaded = await loadSpec(good('full.yaml'));
    const { spec } = loaded;
    expect(spec.name).toBe('billing-nightly');
    expect(spec.target).toEqual({ provider: 'process', kafkaVersion: ['3.9.1', '4.1.0'], brokers: 3, security: 'scram' });
    expect(spec.restore.phases).toEqual(['topics', 'cluster-configs', 'security', 'data', 'offsets', 'connectors']);
    expect(spec.restore.credentials).toEqual({
      billing: { env: 'BILLING_PASSWORD' },
      'User:admin': { file: './secrets/admin.password' },
      reporting: { generate: true },
    });
    expect(spec.probes.map((probe) => probe.type)).toEqual(['authorization', 'offsets', 'offsets', 'produce-consume', 'custom']);
    expect(spec.probes[0]).toMatchObject({ expect: [{ resource: { patternType: 'literal' } }, { resource: { patternType: 'prefixed' } }] });
    expect(spec.probes[2]).toEqual({ type: 'offsets', groups: 'all', tolerance: { skip: 0 }, byContent: false });
    expect(spec.assumptions[0]).toMatchObject({ type: 'topic-config', equals: '2' });
    expect(spec.assumptions[4]).toEqual({ type: 'group-offset', group: 'tmp-group', exists: false });
    expect(spec.manualSteps[1]?.automate?.command).toEqual(['./scripts/flip-dns.sh', '--target', 'restored']);
    expect(spec.objectives).toEqual({ rtoMinutes: 45, maxManualSteps: 2, maxFailedAssumptions: 0 });
    expect(loaded.lineOf(['probes', 3, 'records'])).toBe(47);
    expect(loaded.lineOf(['probes', 3, 'nothing-here'])).toBe(45);
  });

  it('reads JSON, with the same defaults', async () => {
    const { spec } = await loadSpec(good('minimal.json'));
    expect(spec.name).toBe('minimal');
    expect(spec.target.brokers).toBe(3);
    expect(spec.probes).toEqual([{ type: 'produce-consume', topics: ['orders'], records: 100, transactions: false }]);
    expect(spec).not.toHaveProperty('$schema');
  });

  it('gives JSON errors a line too', () => {
    expect(() => parseSpecText('{\n  "snapshot": "s.json",\n  "target": { "brokers": "3" }\n}', 'x.json')).toThrow(
      new InputError('x.json:3: target.brokers: expected one of 1, 2, 3, 4, 5, got "3"'),
    );
  });
});

describe('formatSpecPath', () => {
  it('writes identifiers with dots, indexes and other keys in brackets', () => {
    expect(formatSpecPath(['probes', 2, 'expect', 0, 'principal'])).toBe('probes[2].expect[0].principal');
    expect(formatSpecPath(['restore', 'credentials', 'User:alice'])).toBe('restore.credentials["User:alice"]');
    expect(formatSpecPath(['manualSteps', 0, 'automate', 'timeoutMs'])).toBe('manualSteps[0].automate.timeoutMs');
    expect(formatSpecPath([])).toBe('');
  });
});
