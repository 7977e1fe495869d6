import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ConnectorIdempotencyProbe, judge, sinkLagAtSnapshot, sinkStore } from '../../../src/probes/connect/connector-idempotency.js';
import type { ProbeContext } from '../../../src/probes/probe.js';
import type { ConnectorRestore } from '../../../src/restore/phase.js';
import { loadSnapshot } from '../../../src/snapshot/load.js';
import type { Snapshot } from '../../../src/snapshot/schema.js';
import { repoRoot } from '../../support/require.js';
import { tempDir } from '../../support/temp.js';

/**
 * The probe's decisions before it touches Kafka or a file: a connector the restore did not start
 * ends it at once; a source's input file outside the run's directory is never appended to. The
 * context has no reachable cluster: a probe that tried to use one would fail, not pass.
 */
const snapshot = await loadSnapshot(path.join(repoRoot, 'fixtures/connect-snapshot.json'));
const workDir = tempDir('idempotency-probe');

function context(connectors: Map<string, ConnectorRestore> | undefined, restored: Snapshot = snapshot): ProbeContext {
  return {
    connection: { bootstrap: ['127.0.0.1:1'] },
    snapshot: restored,
    credentials: new Map(),
    environment: { bootstrap: ['127.0.0.1:1'], security: 'plaintext', kafkaVersion: '4.3.1' },
    workDir,
    specDir: workDir,
    signal: new AbortController().signal,
    timeoutMs: 90_000,
    committedOffsetsRead: Promise.resolve(),
    ...(connectors ? { connectors } : {}),
  } as ProbeContext;
}

const probe = (connector: string) => new ConnectorIdempotencyProbe(connector, connector, { connector, newRecords: 5, allowedDuplicates: 0, timeoutMs: 90_000 });

describe('connector-idempotency: a connector the restore did not start', () => {
  it.each([
    [{ status: 'isolated', reason: 'restored STOPPED: file names an external system' }, 'skipped', 'held back'],
    [{ status: 'unsourced', reason: 'not created: db.password (no source in restore.connectorSecrets)' }, 'skipped', 'not created'],
    [{ status: 'failed', reason: 'not created: the workers have no plugin com.example.Nope' }, 'failed', 'not restored'],
  ] as const)('%o: %s at once, with the reason', async (restore, status, observed) => {
    const started = performance.now();
    const verdict = await probe('orders-sink').check(context(new Map([['orders-sink', restore]])));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(verdict).toEqual({
      status,
      evidence: [{ resource: 'connector orders-sink', expected: 'a restored connector that runs', observed, outcome: status, detail: restore.reason }],
    });
  });

  it('not in what the connectors phase did (the phase did not run): skipped', async () => {
    const verdict = await probe('lines-source').check(context(new Map()));
    expect(verdict.status).toBe('skipped');
    expect(verdict.evidence[0]!.detail).toBe('the connectors phase did not restore it (restore.phases)');
  });
});

describe("connector-idempotency: a FileStream source's input file", () => {
  it('is never appended to outside the run’s own directory (the snapshot’s own path)', async () => {
    const verdict = await probe('lines-source').check(context(new Map([['lines-source', { status: 'restored' }]])));
    expect(verdict.status).toBe('skipped');
    expect(verdict.evidence).toEqual([
      expect.objectContaining({
        outcome: 'skipped',
        observed: 'not appended',
        detail: expect.stringMatching(/^\/var\/lib\/orders\/lines\.txt is not in this run's own directory/),
      }),
    ]);
    await expect(readFile('/var/lib/orders/lines.txt')).rejects.toThrow(/ENOENT/);
  });

  it('nor through ".." out of it', async () => {
    const escaped = structuredClone(snapshot);
    escaped.connect!.connectors.find((c) => c.name === 'lines-source')!.config.file = `${workDir}/../lines.txt`;
    const verdict = await probe('lines-source').check(context(new Map([['lines-source', { status: 'restored' }]]), escaped));
    expect(verdict.evidence[0]).toMatchObject({ outcome: 'skipped', observed: 'not appended' });
  });
});

describe("connector-idempotency: a sink's file", () => {
  const sink = snapshot.connect!.connectors.find((c) => c.name === 'orders-sink')!;
  const read = (file: string) => sinkStore({ ...sink, config: { ...sink.config, file } }, undefined, workDir).read!();

  it('read: its lines; a missing file says so (typed); a directory, a FIFO or a non-text file is a problem, never "empty"', async () => {
    await writeFile(`${workDir}/sink.txt`, 'a\nb\n');
    expect(await read(`${workDir}/sink.txt`)).toEqual({ lines: ['a', 'b'] });
    expect(await read(`${workDir}/absent.txt`)).toEqual({ lines: [], problem: expect.stringContaining('no such file'), missing: true });
    await mkdir(`${workDir}/a-dir`);
    await execa('mkfifo', [`${workDir}/fifo`]);
    await writeFile(`${workDir}/binary`, Buffer.from([0x61, 0x00, 0x62]));
    for (const file of ['a-dir', 'fifo', 'binary']) {
      expect(await read(`${workDir}/${file}`)).toEqual({ lines: [], problem: expect.stringContaining(`${workDir}/${file}`), missing: false });
    }
  });
});

describe('connector-idempotency: judging what the store holds', () => {
  it('zero records looked at and nothing written: the replay check is skipped, not passed', () => {
    const [replay] = judge('r', [], [], 'm', 'delivered', 0);
    expect(replay).toMatchObject({ outcome: 'skipped', detail: 'nothing to look at: 0 records delivered and no new input written' });
  });

  it('records looked at: passed when none repeats, failed past the allowed duplicates', () => {
    expect(judge('r', ['a', 'b'], [], 'm', 'delivered', 0)[0]).toMatchObject({ outcome: 'passed', detail: '2 records looked at, none repeated' });
    expect(judge('r', ['a', 'a', 'b'], [], 'm', 'delivered', 0)[0]).toMatchObject({ outcome: 'failed', observed: '1 record delivered again' });
    expect(judge('r', ['m:1'], ['m:1'], 'm', 'delivered', 0).map((check) => check.outcome)).toEqual(['passed', 'passed']);
  });
});

describe('connector-idempotency: a JDBC sink behind its log end with synthetic data', () => {
  const jdbcSink = {
    name: 'orders-jdbc',
    type: 'sink' as const,
    config: { 'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector', topics: 'orders', 'connection.url': 'jdbc:postgresql://127.0.0.1:1/kafka_drill' },
    tasks: 1,
    state: 'RUNNING' as const,
    // orders: partition 0 ends at 4800000500, partition 1 at 4800000700.
    offsets: [{ partition: { kafka_topic: 'orders', kafka_partition: 0 }, offset: { kafka_offset: 4800000480 } }],
  };

  it('lag: log end minus the restored position per partition, from the log start where it has none', () => {
    expect(sinkLagAtSnapshot(jdbcSink, snapshot, ['orders'])).toBe(20 + 700);
    const caughtUp = [0, 1].map((p) => ({ partition: { kafka_topic: 'orders', kafka_partition: p }, offset: { kafka_offset: p === 0 ? 4800000500 : 4800000700 } }));
    expect(sinkLagAtSnapshot({ offsets: caughtUp }, snapshot, ['orders'])).toBe(0);
    expect(sinkLagAtSnapshot(jdbcSink, snapshot, ['lines'])).toBe(12);
  });

  it('the probe is skipped at once with the lag, before it feeds anything (no Kafka, no PostgreSQL reached)', async () => {
    const restored = structuredClone(snapshot);
    restored.connect!.connectors.push(jdbcSink);
    const started = performance.now();
    const verdict = await new ConnectorIdempotencyProbe('p', 'p', { connector: 'orders-jdbc', newRecords: 5, allowedDuplicates: 0, timeoutMs: 90_000 }).check({
      ...context(new Map([['orders-jdbc', { status: 'restored' }]]), restored),
      restoredData: { mode: 'synthetic', offsetMap: {} as never },
      postgres: { url: 'postgresql://kafka_drill@127.0.0.1:1/kafka_drill', jdbcUrl: 'jdbc:postgresql://127.0.0.1:1/kafka_drill' } as never,
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(verdict).toEqual({
      status: 'skipped',
      evidence: [
        expect.objectContaining({
          outcome: 'skipped',
          observed: 'the sink lags 720 records at the snapshot',
          detail: expect.stringContaining('with data: synthetic those are stand-ins a JDBC sink cannot convert'),
        }),
      ],
    });
  });
});
