/**
 * The flow a drill author follows, through the real CLI: `kafka-drill env up`, put state in it,
 * `kafka-drill snapshot` it, `validate` and `run` a drill of that snapshot, `env down` (SIGINT).
 * The environment's own admin (its SCRAM user and unlimited quota) is left out at capture, so the
 * sealed snapshot drills as it is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_USER } from '../../src/model/enums.js';
import { loadSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import { seedCluster } from '../../fixtures/seed.js';
import { markedJvms, readEvidence } from '../drills/cli.js';
import { alive, waitFor } from '../support/kafka.js';
import { repoRoot } from '../support/require.js';
import { tempDir } from '../support/temp.js';
import { CLI } from './run-cli.js';

const cli = CLI;
const run = (args: string[]) => execa(cli[0], [...cli.slice(1), ...args], { cwd: repoRoot, reject: false });

interface EnvDescription {
  bootstrap: string;
  brokers: { pid: number }[];
  sasl: { mechanism: 'SCRAM-SHA-512'; username: string; password: string };
  commandConfig: string;
  workDir: string;
}

function firstJsonLine(child: ChildProcess): Promise<EnvDescription> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as EnvDescription);
    });
    child.on('exit', (code) => reject(new Error(`env up exited with ${code} before it was ready: ${stderr}`)));
  });
}

describe('env up → snapshot → validate → run', () => {
  const dir = tempDir('env-snapshot-drill');
  let envUp: ChildProcess | undefined;
  afterAll(() => {
    if (envUp && envUp.exitCode === null) envUp.kill('SIGINT');
  });

  it('the snapshot of an env-up cluster leaves the environment admin out, validates, and drills green; env down leaves no JVM', async () => {
    envUp = spawn(cli[0], [...cli.slice(1), 'env', 'up', '--security', 'scram', '--json', '--show-password'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const env = await firstJsonLine(envUp);
    expect(env.sasl.username).toBe(ADMIN_USER);

    // State a drill author puts in: a topic with data, a user, its ACLs, a quota, a consumer group behind the log end.
    const seeded = await seedCluster(
      { bootstrap: env.bootstrap.split(','), sasl: env.sasl },
      {
        brokerConfigs: { clusterDefault: {}, perBroker: {} },
        topicGroups: [{ description: 'orders', topics: ['orders'], partitions: 2, replicationFactor: 1, records: 10, configs: { 'retention.ms': '86400000' } }],
        scramUsers: [{ name: 'app-writer', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }],
        acls: [
          {
            principal: 'User:app-writer',
            resourceType: 'TOPIC',
            patternType: 'LITERAL',
            resourceName: 'orders',
            operations: ['WRITE', 'DESCRIBE'],
            permission: 'ALLOW',
            host: '*',
          },
        ],
        quotas: [{ entity: [{ type: 'user', name: 'app-writer' }], values: { producer_byte_rate: 1048576 } }],
        consumerGroups: [{ groupId: 'orders-app', topics: ['orders'], lag: 3 }],
      },
    );
    expect(seeded).toMatchObject({ topics: 1, scramCredentials: 1, quotas: 1, consumerGroups: 1, skipped: [] });

    const snapshotFile = path.join(dir, 'env.json');
    const snapshot = await run(['snapshot', '--bootstrap-server', env.bootstrap, '--command-config', env.commandConfig, '--out', snapshotFile]);
    expect(snapshot.exitCode, snapshot.stderr).toBe(0);
    expect(snapshot.stderr).toContain(`note: SCRAM user ${ADMIN_USER} left out`);
    const sealed = await loadSnapshot(snapshotFile);
    expect(sealed.scramUsers.map((user) => user.name)).toEqual(['app-writer']);
    expect(sealed.quotas).toEqual([{ entity: [{ type: 'user', name: 'app-writer' }], values: { producer_byte_rate: 1048576 } }]);
    expect(sealed.source.notes).toHaveLength(2);
    expect(readFileSync(snapshotFile, 'utf8')).not.toContain(env.sasl.password);

    const spec = path.join(dir, 'env-drill.yaml');
    writeFileSync(
      spec,
      [
        'name: env-drill',
        'snapshot: env.json',
        'target: { brokers: 1, security: scram }',
        'restore:',
        '  data: synthetic',
        '  credentials: { "*": { generate: true } }',
        'probes:',
        '  - type: authorization',
        '    id: writer-access',
        '    expect:',
        '      - { principal: "User:app-writer", operation: WRITE, resource: { type: topic, name: orders }, result: allow }',
        '      - { principal: "User:app-writer", operation: READ, resource: { type: topic, name: orders }, result: deny }',
        '  - type: offsets',
        '    id: orders-app-resumes',
        '    groups: [orders-app]',
        '    tolerance: exact',
        'assumptions:',
        '  - { type: user-exists, user: app-writer }',
        '',
      ].join('\n'),
    );
    const validated = await run(['validate', spec]);
    expect(validated.exitCode, `${validated.stdout}\n${validated.stderr}`).toBe(0);

    const out = path.join(dir, 'out');
    const drilled = await run(['run', spec, '--out', out]);
    expect(drilled.exitCode, `${drilled.stdout}\n${drilled.stderr}`).toBe(0);
    const result = readEvidence(out);
    expect(result.verdict).toBe('passed');
    const runResult = result.runs[0]!;
    expect(runResult.verify!.counts.drift).toBe(0);
    expect(runResult.probes.map((probe) => [probe.id, probe.status])).toEqual([
      ['writer-access', 'passed'],
      ['orders-app-resumes', 'passed'],
    ]);

    // env down: SIGINT, as Ctrl-C; it tears down and no JVM of it is left.
    const pids = env.brokers.map((broker) => broker.pid);
    const exited = new Promise<number | null>((resolve) => envUp!.on('exit', (code) => resolve(code)));
    envUp.kill('SIGINT');
    expect(await exited).toBe(0);
    await waitFor(() => pids.every((pid) => !alive(pid)), 10_000, 'the brokers to exit');
    expect(markedJvms({ workDir: env.workDir })).toEqual([]);
    expect(existsSync(env.workDir)).toBe(false);
  }, 300_000);

  it('a sealed snapshot that still names the drill admin (captured before capture left it out) validates and drills: the restore leaves it out', async () => {
    const snapshot = await loadSnapshot(path.join(repoRoot, 'fixtures/small-snapshot.json'));
    snapshot.scramUsers.push({ name: ADMIN_USER, credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] });
    // Restored, this quota would throttle the drill's own synthetic data to a crawl.
    snapshot.quotas.push({ entity: [{ type: 'user', name: ADMIN_USER }], values: { producer_byte_rate: 1024 } });
    await writeSnapshot(path.join(dir, 'old-env.json'), snapshot);
    const spec = path.join(dir, 'old-env-drill.yaml');
    writeFileSync(
      spec,
      readFileSync(path.join(repoRoot, 'test/drills/fixtures/passing.yaml'), 'utf8')
        .replace('name: small-passing', 'name: old-env-drill')
        .replace('snapshot: ../../../fixtures/small-snapshot.json', 'snapshot: old-env.json'),
    );
    const validated = await run(['validate', spec]);
    expect(validated.exitCode, `${validated.stdout}\n${validated.stderr}`).toBe(0);
    const out = path.join(dir, 'old-env-out');
    const drilled = await run(['run', spec, '--out', out]);
    expect(drilled.exitCode, `${drilled.stdout}\n${drilled.stderr}`).toBe(0);
    const runResult = readEvidence(out).runs[0]!;
    const why = "not restored: the drill's own admin user, a reserved name (the drill's admin stands in for it)";
    expect(runResult.phases.find((p) => p.name === 'security')!.findings).toEqual([
      { code: 'drill-admin-not-restored', severity: 'info', object: `scram-user ${ADMIN_USER}`, message: why, owner: 'security' },
      { code: 'drill-admin-not-restored', severity: 'info', object: `quota user=${ADMIN_USER}`, message: why, owner: 'security' },
    ]);
    // The target's own admin (4096 iterations, unlimited quota) differs from the snapshot's: expected, with the reason.
    expect(runResult.verify!.counts.drift).toBe(0);
    expect(runResult.verify!.differences.filter((d) => d.object.includes(ADMIN_USER)).every((d) => d.classification === 'expected' && d.reason === why)).toBe(true);
    expect(runResult.verify!.differences.filter((d) => d.object.includes(ADMIN_USER)).length).toBeGreaterThan(0);
  }, 300_000);
});
