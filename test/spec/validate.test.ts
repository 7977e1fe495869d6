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
