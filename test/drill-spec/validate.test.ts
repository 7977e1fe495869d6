import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { schemaCommand } from '../../src/cli/schema.js';
import { specProblems, validateCommand } from '../../src/cli/validate.js';
import { writeSnapshot } from '../../src/snapshot/load.js';
import type { SnapshotContent } from '../../src/snapshot/schema.js';

/** Just what the cross-checks look at: one topic, one group, one SCRAM user, one ACL. */
function smallSnapshot(): SnapshotContent {
  return {
    format: 'kafka-drill/snapshot',
    version: 1,
    source: {
      clusterId: 'MkU3OEVBNTcwNTJENDM2Qg',
      kafkaVersion: '3.9.1',
      capturedAt: '2025-01-15T02:00:00.000Z',
      toolVersion: '0.1.0',
      filters: { include: ['*'], exclude: [] },
    },
    topics: [
      {
        name: 'orders',
        partitions: 1,
        replicationFactor: 1,
        configs: { 'min.insync.replicas': { value: '1', source: 'DYNAMIC_TOPIC_CONFIG' } },
        partitionOffsets: [{ partition: 0, logStartOffset: 0, logEndOffset: 10 }],
      },
    ],
    skippedTopics: [],
    clusterConfigs: { clusterDefault: {}, perBroker: {} },
    acls: [
      {
        resourceType: 'TOPIC',
        resourceName: 'orders',
        patternType: 'LITERAL',
        principal: 'User:billing',
        host: '*',
        operation: 'READ',
        permissionType: 'ALLOW',
      },
    ],
    scramUsers: [{ name: 'billing', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }],
    quotas: [],
    consumerGroups: [{ groupId: 'billing', offsets: [{ topic: 'orders', partition: 0, offset: 7, metadata: null }] }],
  };
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kafka-drill-validate-'));
  await writeSnapshot(path.join(dir, 'snapshot.json'), smallSnapshot());
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function specFile(name: string, lines: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

/** Runs a command with stdout and stderr captured. */
async function run(command: (argv: string[]) => Promise<number>, argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => stdout.push(String(chunk)) > 0);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
  try {
    const code = await command(argv);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('kafka-drill validate', () => {
  it('prints ok for a spec consistent with its snapshot', async () => {
    const file = await specFile('good.yaml', [
      'snapshot: snapshot.json',
      'target: { security: scram }',
      'restore:',
      '  credentials:',
      '    "User:billing": { env: BILLING_PASSWORD }',
      'probes:',
      '  - type: authorization',
      '    derive: true',
      '  - type: offsets',
      '    groups: [billing]',
      '  - type: produce-consume',
      '    topics: [orders]',
      'assumptions:',
      '  - type: topic-config',
      '    topic: orders',
      '    config: min.insync.replicas',
      '    equals: 1',
      '  - type: group-offset',
      '    group: gone',
      '    exists: false',
      '  - type: user-exists',
      '    user: billing',
    ]);
    expect(await run(validateCommand, [file])).toEqual({ code: 0, stdout: `ok ${file}\n`, stderr: '' });
  });

  it('names each spec path that refers to something the snapshot lacks', async () => {
    const file = await specFile('drifted.yaml', [
      'snapshot: snapshot.json',
      'restore:',
      '  credentials:',
      '    alice: { generate: true }',
      'probes:',
      '  - type: offsets',
      '    groups: [billing, payments]',
      '  - type: produce-consume',
      '    topics: [orders, invoices]',
      'assumptions:',
      '  - type: topic-config',
      '    topic: refunds',
      '    config: retention.ms',
      '    min: 1',
      '  - type: group-offset',
      '    group: billing',
      '    topic: refunds',
      '  - type: user-exists',
      '    user: carol',
    ]);
    expect(await specProblems(file)).toEqual([
      `${file}:4: restore.credentials.alice: SCRAM user "alice" is not in the snapshot`,
      `${file}:7: probes[0].groups[1]: consumer group "payments" is not in the snapshot`,
      `${file}:9: probes[1].topics[1]: topic "invoices" is not in the snapshot`,
      `${file}:12: assumptions[0].topic: topic "refunds" is not in the snapshot`,
      `${file}:17: assumptions[1].topic: topic "refunds" is not in the snapshot`,
      `${file}:19: assumptions[2].user: SCRAM user "carol" is not in the snapshot`,
    ]);
  });

  it('names quota entities a quota probe asks for that the snapshot lacks', async () => {
    const quotas = path.resolve('fixtures/quotas-snapshot.json');
    const file = await specFile('quota-entities.yaml', [
      `snapshot: ${quotas}`,
      'target: { security: scram }',
      'probes:',
      '  - type: quota',
      '    entities: ["user=svc-analytics", "user=svc-nobody", "user=<default>"]',
    ]);
    expect(await specProblems(file)).toEqual([`${file}:5: probes[0].entities[1]: quota entity "user=svc-nobody" is not in the snapshot`]);
  });

  it('refuses, under mtls, mapping rules from the snapshot that the drill cannot use, naming the snapshot path', async () => {
    const snapshot = smallSnapshot();
    snapshot.clusterConfigs.perBroker['2'] = { 'ssl.principal.mapping.rules': { value: 'RULE:^CN=(.*?)$/$1/L,NOT-A-RULE', source: 'DYNAMIC_BROKER_CONFIG' } };
    await writeSnapshot(path.join(dir, 'bad-rules.json'), snapshot);
    const mtls = await specFile('bad-rules.yaml', ['snapshot: bad-rules.json', 'target: { security: mtls }']);
    expect(await specProblems(mtls)).toEqual([
      `${mtls}:2: target.security: ${path.relative(process.cwd(), path.join(dir, 'bad-rules.json'))}: clusterConfigs.perBroker["2"]["ssl.principal.mapping.rules"].value: ssl.principal.mapping.rules "RULE:^CN=(.*?)$/$1/L,NOT-A-RULE" cannot be parsed (or a pattern is not a regular expression kafka-drill can run)`,
    ]);
    // Rules that map no subject the drill can give its admin.
    snapshot.clusterConfigs.perBroker['2'] = { 'ssl.principal.mapping.rules': { value: 'RULE:^CN=svc-([a-z]+),O=Acme$/$1/', source: 'DYNAMIC_BROKER_CONFIG' } };
    await writeSnapshot(path.join(dir, 'bad-rules.json'), snapshot);
    expect(await specProblems(mtls)).toEqual([expect.stringMatching(/map no certificate subject kafka-drill can give its admin$/)]);
    // Outside mtls the rules are restored as a config, not used.
    const scram = await specFile('rules-scram.yaml', ['snapshot: bad-rules.json', 'target: { security: scram }']);
    expect(await specProblems(scram)).toEqual([]);
  });

  it('refuses a tls-trusted truststore that is missing or holds no certificate', async () => {
    await writeFile(path.join(dir, 'empty-ca.pem'), 'not a certificate\n');
    const file = await specFile('truststores.yaml', [
      'snapshot: snapshot.json',
      'assumptions:',
      '  - type: tls-trusted',
      '    truststore: missing-ca.pem',
      '  - type: tls-trusted',
      '    truststore: empty-ca.pem',
    ]);
    expect(await specProblems(file)).toEqual([
      `${file}:4: assumptions[0].truststore: ${path.join(dir, 'missing-ca.pem')}: cannot read the truststore: no such file`,
      `${file}:6: assumptions[1].truststore: ${path.join(dir, 'empty-ca.pem')} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    ]);
  });

  it("reports a snapshot it cannot load at the spec's snapshot line", async () => {
    const file = await specFile('missing-snapshot.yaml', ['name: x', 'snapshot: nowhere.json']);
    expect(await specProblems(file)).toEqual([`${file}:2: snapshot: ${path.relative(process.cwd(), path.join(dir, 'nowhere.json'))}: cannot read the snapshot: no such file`]);
  });

  it('checks every spec given, and exits 2 if any is invalid', async () => {
    const good = await specFile('plain.yaml', ['snapshot: snapshot.json']);
    const bad = await specFile('typo.yaml', ['snapshot: snapshot.json', 'objectivs: {}']);
    const result = await run(validateCommand, [bad, good]);
    expect(result).toEqual({ code: 2, stdout: `ok ${good}\n`, stderr: `${bad}:2: unknown key "objectivs"\n` });
  });

  it('prints usage and exits 2 without a spec', async () => {
    const result = await run(validateCommand, []);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Usage: kafka-drill validate <spec>...');
  });
});

describe('kafka-drill schema', () => {
  it('prints the JSON Schema as JSON', async () => {
    const result = await run(schemaCommand, []);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { $id: string };
    expect(schema.$id).toBe('urn:kafka-drill:drill-spec');
    for (const type of ['authorization', 'offsets', 'produce-consume', 'custom']) expect(result.stdout).toContain(`"const": "${type}"`);
  });
});
