/**
 * Hostile files named *inside* other inputs, and hostile output folders, through the real CLI:
 * a FIFO (no writer: a plain read would wait for ever) and /dev/zero (a read that never ends)
 * where a properties file names a truststore, where a spec names a password or connector
 * secret file, as report's --spec and --sign-key, verify-evidence's --pub-key, and as entries of
 * an evidence manifest. Each must end with exit 2 in seconds, with bounded memory, naming the
 * file and where it was named. Also: report and run --out folders that cannot take the
 * reports, a snapshot's mapping rule that backtracks for ever, a snapshot holding a connector
 * secret in clear (never echoed), and what validate finds before Kafka starts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAPPING_RULES_BOUND_MS } from '../../src/kafka/principal-mapping.js';
import { diffSnapshots, renderDiffText } from '../../src/snapshot/diff.js';
import { parseSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { fixtureFile } from '../report/fixtures.js';
import { repoRoot } from '../support/require.js';
import { tempDir } from '../support/temp.js';
import { cli, type CliRun } from './run-cli.js';

const dir = tempDir('hostile-paths');
const fifo = path.join(dir, 'fifo');
const zero = '/dev/zero';
const baseSnapshot = parseSnapshot(readFileSync(path.join(repoRoot, 'test/cli/hostile/snapshot.json'), 'utf8'), 'snapshot.json');
const SECRET = 'hunter2-Sup3r-Secret';

/** A snapshot: the corpus's small one with `change` applied, written with a fresh digest. */
async function snapshotFile(name: string, change: (snapshot: Snapshot) => void): Promise<string> {
  const snapshot = structuredClone(baseSnapshot);
  change(snapshot);
  const file = path.join(dir, name);
  await writeSnapshot(file, snapshot);
  return file;
}

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Exit 2, quickly: a hang or a raw error fails here. */
function refusedQuickly(run: CliRun, seconds = 30): void {
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
  expect(run.ms).toBeLessThan(seconds * 1000);
}

const connector = (config: Record<string, string | { redacted: true }>) => ({
  name: 'orders-sink',
  config: { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector', topics: 'orders', file: '/tmp/out.txt', ...config },
  state: 'RUNNING' as const,
  tasks: 1,
  type: 'sink' as const,
  offsets: [],
});

beforeAll(() => {
  execFileSync('mkfifo', [fifo]);
});

describe('files named inside other inputs', () => {
  it('validate refuses a FIFO or /dev/zero as a credential file, a connector secret file, a store in commandConfig, a tls-trusted truststore, a custom probe module', async () => {
    const snapshot = await snapshotFile('with-connector.json', (s) => {
      s.connect = { workerVersion: '4.3.1', connectors: [connector({ 'connection.password': { redacted: true } })] };
    });
    const pem = write('pem.properties', `bootstrap.servers=k:9093\nsecurity.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=${fifo}\n`);
    const jks = write('jks.properties', `bootstrap.servers=k:9093\nsecurity.protocol=SSL\nssl.truststore.type=JKS\nssl.truststore.location=${zero}\n`);
    const keystore = write('keystore.properties', `bootstrap.servers=k:9093\nsecurity.protocol=SSL\nssl.keystore.type=PEM\nssl.keystore.location=${fifo}\n`);
    const specs = [
      write('credential-fifo.yaml', `snapshot: with-connector.json\nrestore:\n  credentials:\n    billing: { file: ${fifo} }\n`),
      write('credential-zero.yaml', `snapshot: with-connector.json\nrestore:\n  credentials:\n    billing: { file: ${zero} }\n`),
      write('secret-fifo.yaml', `snapshot: with-connector.json\nrestore:\n  connectorSecrets:\n    orders-sink:\n      connection.password: { file: ${fifo} }\n`),
      write('secret-zero.yaml', `snapshot: with-connector.json\nrestore:\n  connectorSecrets:\n    orders-sink:\n      connection.password: { file: ${zero} }\n`),
      ...[pem, jks, keystore].map((properties) =>
        write(
          `external-${path.basename(properties, '.properties')}.yaml`,
          `snapshot: with-connector.json\ntarget:\n  provider: external\n  bootstrap: k:9093\n  clusterId: abc\n  cleanup: keep\n  commandConfig: ${path.basename(properties)}\n`,
        ),
      ),
      write('trusted-fifo.yaml', `snapshot: with-connector.json\nassumptions:\n  - { type: tls-trusted, truststore: fifo }\n`),
      write('module-fifo.yaml', `snapshot: with-connector.json\nprobes:\n  - { type: custom, name: c, module: ./fifo }\n`),
    ];
    expect(path.basename(snapshot)).toBe('with-connector.json');
    const run = await cli(['validate', ...specs], { measureMemory: true, timeoutMs: 60_000 });
    expect(run.stderr.split('\n')).toEqual([
      `${specs[0]}:4: restore.credentials.billing.file: ${fifo}: cannot read the password file: a FIFO (named pipe), not a regular file`,
      `${specs[1]}:4: restore.credentials.billing.file: ${zero}: cannot read the password file: a character device, not a regular file`,
      `${specs[2]}:5: restore.connectorSecrets.orders-sink["connection.password"].file: ${fifo}: cannot read the secret file: a FIFO (named pipe), not a regular file`,
      `${specs[3]}:5: restore.connectorSecrets.orders-sink["connection.password"].file: ${zero}: cannot read the secret file: a character device, not a regular file`,
      `${specs[4]}:7: target.commandConfig: ${pem}: ssl.truststore.location: ${fifo}: cannot read the PEM file: a FIFO (named pipe), not a regular file`,
      `${specs[5]}:7: target.commandConfig: ${jks}: ssl.truststore.location: ${zero}: cannot read the JKS truststore: a character device, not a regular file`,
      `${specs[6]}:7: target.commandConfig: ${keystore}: ssl.keystore.location: ${fifo}: cannot read the PEM file: a FIFO (named pipe), not a regular file`,
      `${specs[7]}:3: assumptions[0].truststore: ${fifo}: cannot read the truststore: a FIFO (named pipe), not a regular file`,
      `${specs[8]}:3: probes[0].module: "./fifo" is not a regular file`,
      '',
    ]);
    refusedQuickly(run);
    expect(run.peakMiB).toBeLessThan(400);
  }, 90_000);
});

describe('report and verify-evidence', () => {
  const result = path.join(dir, 'report-in', 'result.json');
  beforeAll(() => {
    mkdirSync(path.dirname(result), { recursive: true });
    writeFileSync(result, readFileSync(fixtureFile('passed')));
  });

  it('report refuses a FIFO or /dev/zero as --spec, --snapshot or --sign-key, writing nothing', async () => {
    const out = path.join(dir, 'report-out');
    const cases: [string[], string][] = [
      [['--spec', fifo], `${fifo}: cannot read the drill spec: a FIFO (named pipe), not a regular file`],
      [['--spec', zero], `${zero}: cannot read the drill spec: a character device, not a regular file`],
      [['--snapshot', fifo], `${fifo}: cannot read the snapshot: a FIFO (named pipe), not a regular file`],
      [['--sign-key', fifo], `${fifo}: cannot read the private key: a FIFO (named pipe), not a regular file`],
      [['--sign-key', zero], `${zero}: cannot read the private key: a character device, not a regular file`],
    ];
    for (const [flags, message] of cases) {
      const run = await cli(['report', result, '--out', out, ...flags], { measureMemory: true, timeoutMs: 60_000 });
      expect(run.stderr).toBe(`kafka-drill report: ${message}\n`);
      refusedQuickly(run);
      expect(run.peakMiB).toBeLessThan(400);
    }
    expect(readdirSync(dir)).not.toContain('report-out');
  }, 300_000);

  it('report refuses an --out that is a file, sits under a file, or holds a folder named like a report file: exit 2, nothing written', async () => {
    const file = write('out-is-a-file', 'not a folder\n');
    const taken = path.join(dir, 'taken');
    mkdirSync(path.join(taken, 'result.json'), { recursive: true });
    writeFileSync(path.join(taken, 'notes.txt'), 'kept\n');
    const cases: [string, string][] = [
      [file, `${file}: the output folder is a file, not a folder`],
      [path.join(file, 'sub'), `${path.join(file, 'sub')}: cannot make the output folder: ${file} is a file, not a folder`],
      [taken, `${path.join(taken, 'result.json')}: is a folder; kafka-drill writes a file there (result.json): move it or choose another --out`],
    ];
    for (const [out, message] of cases) {
      const run = await cli(['report', result, '--out', out]);
      expect(run.stderr).toBe(`kafka-drill report: ${message}\n`);
      refusedQuickly(run);
    }
    expect(readFileSync(file, 'utf8')).toBe('not a folder\n');
    expect(readdirSync(taken).sort()).toEqual(['notes.txt', 'result.json']);
    expect(readdirSync(path.join(taken, 'result.json'))).toEqual([]);
  }, 120_000);

  it('verify-evidence refuses a FIFO or /dev/zero as --pub-key or manifest entry, and manifest entries ".", ".." or a folder', async () => {
    const evidence = path.join(dir, 'evidence');
    const written = await cli(['report', result, '--out', evidence]);
    expect(written.code).toBe(0);
    const manifestFile = path.join(evidence, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { files: { path: string; sha256: string; bytes: number }[] };
    mkdirSync(path.join(evidence, 'folder'));
    execFileSync('mkfifo', [path.join(evidence, 'pipe')]);
    symlinkSync(zero, path.join(evidence, 'zero'));
    const withEntry = (entry: string) => {
      const copy = path.join(dir, `evidence-${entry.replace(/\W/g, '_')}`);
      execFileSync('cp', ['-a', evidence, copy]);
      writeFileSync(path.join(copy, 'manifest.json'), JSON.stringify({ ...manifest, files: [...manifest.files, { path: entry, sha256: '0'.repeat(64), bytes: 0 }] }));
      return copy;
    };
    const cases: [string[], string][] = [
      [[evidence, '--pub-key', fifo], `${fifo}: cannot read the public key: a FIFO (named pipe), not a regular file`],
      [[evidence, '--pub-key', zero], `${zero}: cannot read the public key: a character device, not a regular file`],
      ...['.', '..'].map((entry): [string[], string] => {
        const copy = withEntry(entry);
        return [[copy], `${path.join(copy, 'manifest.json')}: files: ${JSON.stringify(entry)} is not a plain path inside the directory`];
      }),
      ...[
        ['folder', 'a directory'],
        ['pipe', 'a FIFO (named pipe)'],
        ['zero', 'a character device'],
      ].map(([entry, kind]): [string[], string] => {
        const copy = withEntry(entry!);
        return [[copy], `${path.join(copy, entry!)}: cannot read the evidence file: ${kind}, not a regular file`];
      }),
    ];
    for (const [args, message] of cases) {
      const run = await cli(['verify-evidence', ...args], { measureMemory: true, timeoutMs: 60_000 });
      expect(run.stderr).toBe(`kafka-drill verify-evidence: ${message}\n`);
      refusedQuickly(run);
      expect(run.peakMiB).toBeLessThan(400);
    }
    // Slipped in but not listed, a FIFO and a link are tampering like any other file: named, never opened.
    const unlisted = await cli(['verify-evidence', evidence], { timeoutMs: 60_000 });
    expect(unlisted).toMatchObject({ code: 1, stdout: 'FAILED pipe: not in the manifest\nFAILED zero: not in the manifest\n', stderr: '' });
  }, 300_000);
});

describe('run checks where its evidence goes before a drill starts', () => {
  const spec = 'test/cli/hostile/spec-bom.yaml';

  it('refuses an --out that is a file or holds a folder named like a report file, and a FIFO --sign-key: exit 2, no environment', async () => {
    const file = write('run-out-is-a-file', 'not a folder\n');
    const taken = path.join(dir, 'run-taken');
    mkdirSync(path.join(taken, 'report.html'), { recursive: true });
    const cases: [string[], string][] = [
      [['--out', file], `${file}: the output folder is a file, not a folder`],
      [['--out', path.join(file, 'sub')], `${path.join(file, 'sub')}: cannot make the output folder: ${file} is a file, not a folder`],
      [['--out', taken], `${path.join(taken, 'report.html')}: is a folder; kafka-drill writes a file there (report.html): move it or choose another --out`],
      [['--out', path.join(dir, 'run-new'), '--sign-key', fifo], `${fifo}: cannot read the private key: a FIFO (named pipe), not a regular file`],
    ];
    for (const [flags, message] of cases) {
      const run = await cli(['run', spec, ...flags]);
      expect(run.stderr).toBe(`kafka-drill run: ${message}\n`);
      refusedQuickly(run);
    }
    expect(readdirSync(taken)).toEqual(['report.html']);
    expect(readdirSync(dir)).not.toContain('run-new');
  }, 180_000);
});

describe("a snapshot's ssl.principal.mapping.rules run with a time bound", () => {
  it("validate and run refuse a rule that backtracks catastrophically on the drill's certificate subjects, in about the bound", async () => {
    const snapshot = await snapshotFile('backtracking.json', (s) => {
      // (.+)+X on "CN=kafka-drill-admin,OU=kafka-drill": 2^35 ways to fail.
      s.clusterConfigs.clusterDefault['ssl.principal.mapping.rules'] = { value: 'RULE:^(.+)+X$/$1/,DEFAULT', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' };
    });
    const specs = [write('backtracking-scram.yaml', 'snapshot: backtracking.json\n'), write('backtracking-mtls.yaml', 'snapshot: backtracking.json\ntarget:\n  security: mtls\n')];
    const where = `${path.relative(repoRoot, snapshot)}: clusterConfigs.clusterDefault["ssl.principal.mapping.rules"].value`;
    const refusal = `a pattern of ssl.principal.mapping.rules ran for more than ${MAPPING_RULES_BOUND_MS / 1000} s on the drill's certificate subjects (it backtracks catastrophically): refused`;
    const validated = await cli(['validate', ...specs], { timeoutMs: 60_000 });
    expect(validated.stderr.split('\n')).toEqual([`${specs[0]}: target.security: ${where}: ${refusal}`, `${specs[1]}:3: target.security: ${where}: ${refusal}`, '']);
    refusedQuickly(validated);
    const run = await cli(['run', specs[1]!, '--out', path.join(dir, 'backtracking-out')], { timeoutMs: 60_000 });
    expect(run.stderr).toBe(`kafka-drill run: ${specs[1]}:3: target.security: ${where}: ${refusal}\n`);
    refusedQuickly(run);
  }, 150_000);
});

describe('connector secrets in a snapshot', () => {
  const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="svc" password="${SECRET}";`;

  it('validate and diff refuse a snapshot holding one in clear, naming where, never echoing it', async () => {
    const snapshot = await snapshotFile('cleartext-secret.json', (s) => {
      s.connect = { connectors: [connector({ 'connection.password': SECRET, 'producer.override.sasl.jaas.config': jaas })] };
    });
    const clean = await snapshotFile('clean.json', (s) => {
      s.connect = { connectors: [connector({ 'connection.password': { redacted: true }, 'producer.override.sasl.jaas.config': { redacted: true } })] };
    });
    const shown = path.relative(repoRoot, snapshot);
    const lines = (prefix: string) => [
      `${prefix}${shown}: connect.connectors[0].config["connection.password"]: holds a secret in clear (not shown); a capture writes { "redacted": true } here, and the drill takes the value from restore.connectorSecrets`,
      `${shown}: connect.connectors[0].config["producer.override.sasl.jaas.config"]: holds a secret in clear (not shown); a capture writes { "redacted": true } here, and the drill takes the value from restore.connectorSecrets`,
    ];
    const spec = write('cleartext-secret.yaml', 'snapshot: cleartext-secret.json\n');
    const validated = await cli(['validate', spec]);
    expect(validated.stderr.split('\n')).toEqual([...lines(`${spec}:1: snapshot: `), '']);
    refusedQuickly(validated);
    for (const args of [
      [shown, clean],
      [clean, shown, '--json'],
    ]) {
      const diffed = await cli(['diff', ...args]);
      expect(diffed.stderr.split('\n')).toEqual([...lines('kafka-drill diff: '), '']);
      refusedQuickly(diffed);
      expect(diffed.stdout + diffed.stderr).not.toContain(SECRET);
    }
  }, 120_000);

  it('diff masks one that reaches it all the same (a second line of defence), still reporting the difference', () => {
    const snapshot = (password: string) => ({
      ...structuredClone(baseSnapshot),
      connect: { connectors: [connector({ 'connection.password': password, 'db.url': 'jdbc:postgresql://h/db' })] },
    });
    const differences = diffSnapshots(snapshot(SECRET), snapshot(`${SECRET}-changed`));
    expect(differences.map(({ object, expected, actual }) => ({ object, expected, actual }))).toEqual([
      { object: 'connector orders-sink config connection.password', expected: '(secret, not shown)', actual: '(secret, not shown)' },
    ]);
    expect(renderDiffText(differences)).not.toContain(SECRET);
  });
});

describe('validate finds what a drill would find only after a full restore', () => {
  it('refuses unknown connectors, unreadable or empty secret files, an unreadable commandConfig, malformed PostgreSQL URLs, expectedFailures that never apply, an automation program that is no file', async () => {
    await snapshotFile('checks.json', (s) => {
      s.connect = { connectors: [connector({ 'connection.password': { redacted: true } })] };
    });
    write('empty.secret', '\n');
    const spec = write(
      'checks.yaml',
      [
        'snapshot: checks.json',
        'target:',
        '  provider: external',
        '  bootstrap: k:9092',
        '  clusterId: abc',
        '  cleanup: keep',
        '  commandConfig: no-such.properties',
        'restore:',
        '  connectorSecrets:',
        '    orders-sink:',
        '      connection.password: { file: no-such.secret }',
        '      other.password: { file: empty.secret }',
        '      env.password: { env: KAFKA_DRILL_SURELY_UNSET_AT_VALIDATE }',
        '    gone-sink:',
        '      connection.password: { env: X }',
        'probes:',
        '  - { type: connector-idempotency, connector: missing-connector }',
        '  - type: connector-idempotency',
        '    connector: orders-sink',
        `    store: { postgres: { url: "postgresql://svc:${SECRET}@db:notaport/shop", table: orders, key: [id] } }`,
        '  - { type: produce-consume, id: pc, topics: [orders] }',
        'expectedFailures:',
        '  - { client: kafkajs, probes: [nope], reason: r }',
        '  - { client: java, probes: [pc], reason: r }',
        '  - { client: kafkajs, kafkaVersions: ["9.9.9"], reason: r }',
        'manualSteps:',
        `  - { id: seed, title: seed, owner: ops, phase: data, estimateMinutes: 1, automate: { command: ["${fifo}"] } }`,
        '',
      ].join('\n'),
    );
    const run = await cli(['validate', spec]);
    expect(run.stderr.split('\n')).toEqual([
      `${spec}:7: target.commandConfig: ${path.join(dir, 'no-such.properties')}: cannot read the client properties: no such file`,
      `${spec}:11: restore.connectorSecrets.orders-sink["connection.password"].file: ${path.join(dir, 'no-such.secret')}: cannot read the secret file: no such file`,
      `${spec}:12: restore.connectorSecrets.orders-sink["other.password"].file: ${path.join(dir, 'empty.secret')}: the secret file is empty`,
      `${spec}:20: probes[1].store.postgres.url: not a URL (expected postgresql://user@host:port/database; the value is not shown, it may hold a password)`,
      `${spec}:23: expectedFailures[0].probes[0]: probe "nope" is not a client-matrix probe of this spec (authorization, offsets or produce-consume: pc)`,
      `${spec}:24: expectedFailures[1].client: client class "java" runs none of the probes named (clients: kafkajs)`,
      `${spec}:25: expectedFailures[2].kafkaVersions[0]: Kafka 9.9.9 is not supported: kafka-drill runs the 3.9.x line and 4.0.x–4.4.x (e.g. 3.9.2, 4.3.1)`,
      `${spec}:27: manualSteps[0].automate.command[0]: ${fifo}: cannot read the automation command: a FIFO (named pipe), not a regular file`,
      `${spec}:14: restore.connectorSecrets.gone-sink: connector "gone-sink" is not in the snapshot`,
      `${spec}:17: probes[0].connector: connector "missing-connector" is not in the snapshot`,
      '',
    ]);
    refusedQuickly(run);
    expect(run.stderr).not.toContain(SECRET);
  }, 60_000);
});
