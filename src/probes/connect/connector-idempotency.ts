import { randomBytes } from 'node:crypto';
import { appendFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { isAbsolute, join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { errorMessage } from '../../errors.js';
import { psql, psqlTargetFor, type DrillPostgres, type PsqlTarget } from '../../environment/connect/postgres.js';
import { inputLimits, readInputFile } from '../../input-file.js';
import { connectorStatus, getConnector } from '../../kafka/connect-rest.js';
import { createProbeClient } from '../../kafka/probe-client.js';
import { isInside } from '../../paths.js';
import { sinkPosition } from '../../restore/offset-map.js';
import type { Connector, Snapshot } from '../../snapshot/schema.js';
import type { ConnectorIdempotencyProbeSpec } from '../../drill-spec/schema.js';
import { runConsumerSession } from '../consumer-session.js';
import { verdictOf, type ProbeRunner, type ProbeContext, type ProbeVerdict } from '../probe.js';
import type { ProbeEvidence } from '../../model/result.js';

/**
 * The connector idempotency probe: does a restored connector write anything twice?
 *
 * - Sink: the probe produces N new records (a unique run marker in each) to the connector's
 *   topics, waits until every one is in the sink's real store (the FileStream sink's file, or
 *   rows of a PostgreSQL table), then counts records the store holds more than once — a sink
 *   whose restored offsets were behind what it had written replays them. Each new record must
 *   be there exactly once; duplicates must not exceed the allowed number.
 * - Source (FileStream): the probe appends N new lines to the connector's input file (only one
 *   inside the run's own directory, never a file the snapshot names) and reads
 *   the topic from the snapshot's log end offsets (what the source had emitted before the
 *   snapshot; the restore's data phase rebuilt up to there). Whatever appears after that and is
 *   not a new line was emitted again; each new line must appear exactly once.
 *
 * A connector the restore did not start (held back, not created, failed) ends the probe at once.
 * Every check is an evidence item whose outcome is typed; the evidence names the first
 * duplicated records and how many there were.
 */
const FIRST_SHOWN = 5;

type Spec = Pick<ConnectorIdempotencyProbeSpec, 'connector' | 'newRecords' | 'allowedDuplicates' | 'store' | 'timeoutMs'>;
type Check = ProbeEvidence;

export class ConnectorIdempotencyProbe implements ProbeRunner {
  readonly type = 'connector-idempotency';
  readonly timeoutMs: number;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Spec,
  ) {
    this.timeoutMs = spec.timeoutMs;
  }

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const connector = context.snapshot.connect?.connectors.find((candidate) => candidate.name === this.spec.connector);
    const resource = `connector ${this.spec.connector}`;
    if (!connector) {
      return verdictOf([
        { resource, expected: 'a connector in the snapshot', observed: 'not in the snapshot', outcome: 'failed', detail: 'the spec names a connector the snapshot does not have' },
      ]);
    }
    const notRunning = notRunningCheck(connector, context.connectors);
    if (notRunning) return verdictOf([notRunning]);
    const marker = `kafka-drill-probe:${this.id}:${randomBytes(6).toString('hex')}`;
    // Fixed width: no record's text contains another's (…:1 is not inside …:10).
    const newRecords = Array.from({ length: this.spec.newRecords }, (_, index) => `${marker}:${String(index).padStart(6, '0')}`);
    const kind = connectorKind(connector);
    // Leave time for teardown of the probe's clients within its budget.
    const deadline = Date.now() + Math.max(5_000, context.timeoutMs - 5_000);
    if (kind === 'sink') return verdictOf(await this.checkSink(connector, newRecords, marker, deadline, context));
    if (kind === 'source') return verdictOf(await this.checkSource(connector, newRecords, marker, deadline, context));
    return verdictOf([
      {
        resource,
        expected: 'a source or sink connector',
        observed: `connector.class ${String(connector.config['connector.class'])}`,
        outcome: 'skipped',
        detail: 'the probe cannot tell what this connector is',
      },
    ]);
  }

  private async checkSink(connector: Connector, newRecords: string[], marker: string, deadline: number, context: ProbeContext): Promise<Check[]> {
    const jdbc = jdbcStore(connector, this.spec.store, context.postgres);
    if (jdbc) return this.checkJdbcSink(connector, jdbc, newRecords, marker, deadline, context);
    const store = sinkStore(connector, this.spec.store, context.specDir);
    const resource = `connector ${connector.name} ${store.label}`;
    if (!store.read) {
      return [{ resource, expected: 'a store the probe can read', observed: 'none', outcome: 'skipped', detail: store.label }];
    }
    const topics = String(connector.config.topics ?? '')
      .split(',')
      .map((topic) => topic.trim())
      .filter(Boolean);
    if (topics.length === 0) return [{ resource, expected: 'a sink with a topics config', observed: 'no topics', outcome: 'skipped', detail: 'topics.regex sinks are not probed' }];
    const kafka = createProbeClient(context.connection, { clientId: 'kafka-drill-connector-idempotency' });
    // Never new input for a sink the spec let run against an external store (it would write it there).
    const external = context.connectors?.get(connector.name)?.external ?? [];
    const written = external.length === 0 ? newRecords : [];
    if (written.length > 0) await produceNewRecords(kafka, topics[0]!, written, connector);

    // Done when the sink has consumed everything (its group connect-<name> is at every log end) and the new records are stored.
    let read: SinkRead = { lines: [] };
    let caughtUp = false;
    // A missing file with nothing to deliver stays missing: no use waiting for it.
    const settled = () => !read.problem || (read.missing && written.length === 0);
    while (Date.now() < deadline && !context.signal.aborted) {
      caughtUp = await sinkCaughtUp(kafka, connector.name, topics);
      read = await store.read();
      const records = read.lines;
      if (caughtUp && settled() && written.every((record) => records.some((stored) => stored.includes(record)))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (read.problem && read.missing && written.length === 0 && caughtUp) {
      return [
        {
          resource,
          expected: 'records in the sink file to look at',
          observed: 'no file',
          outcome: 'skipped',
          detail: `nothing to look at: ${store.label} does not exist, the sink's group connect-${connector.name} is at the log end and the probe wrote it no new input`,
        },
      ];
    }
    const checks = judge(resource, read.lines, written, marker, 'delivered', this.spec.allowedDuplicates);
    if (read.problem) {
      checks.push({ resource, expected: `${store.label} readable`, observed: read.problem, outcome: 'failed', detail: 'the records the sink stored cannot be counted' });
    }
    if (written.length === 0) {
      checks[1] = {
        resource,
        outcome: 'skipped',
        expected: `each of ${newRecords.length} new records delivered exactly once`,
        observed: 'no new records written',
        detail:
          newRecords.length === 0 ? 'newRecords: 0' : `the sink runs against the external system its ${external.join(', ')} names (allowExternal): the probe writes it nothing`,
      };
    }
    if (!caughtUp) checks.push(notCaughtUp(resource, connector.name, topics));
    return checks;
  }

  /**
   * A sink writing to PostgreSQL (Debezium's JDBC sink): new records with a schema from the
   * connector's converter and primary-key settings, each with a generated id; the probe waits
   * until each id is in the table, counts rows by their key columns, and fails at once when
   * the connector or a task is FAILED (with Connect's trace).
   */
  private async checkJdbcSink(connector: Connector, store: JdbcStore, newRecords: string[], marker: string, deadline: number, context: ProbeContext): Promise<Check[]> {
    const resource = `connector ${connector.name} table ${store.table}`;
    const topics = String(connector.config.topics ?? '')
      .split(',')
      .map((topic) => topic.trim())
      .filter(Boolean);
    if (topics.length === 0) return [{ resource, expected: 'a sink with a topics config', observed: 'no topics', outcome: 'skipped', detail: 'topics.regex sinks are not probed' }];
    // Known before anything is fed: a sink behind its log end resumes into synthetic stand-ins it cannot convert, and its task fails.
    const lag = context.restoredData?.mode === 'synthetic' ? sinkLagAtSnapshot(connector, context.snapshot, topics) : 0;
    if (lag > 0) {
      return [
        {
          resource,
          expected: `each of ${newRecords.length} new records delivered exactly once`,
          observed: `the sink lags ${lag} record${lag === 1 ? '' : 's'} at the snapshot`,
          outcome: 'skipped',
          detail: `the sink lags ${lag} record${lag === 1 ? '' : 's'} at the snapshot; with data: synthetic those are stand-ins a JDBC sink cannot convert (its task fails on the first): nothing it stores would show whether it replays`,
        },
      ];
    }
    const shape = newRecords.length > 0 ? await this.jdbcInput(connector, context) : undefined;
    const written = shape && 'fields' in shape ? newRecords : [];
    const { target, dispose } = store.drillOwned
      ? { target: drillTarget(context.postgres!), dispose: async () => {} }
      : await psqlTargetFor(store.url, context.workDir ?? tmpdir());
    const kafka = createProbeClient(context.connection, { clientId: 'kafka-drill-connector-idempotency' });
    try {
      // The drill's own database starts empty: where the sink would not create its table (schema.evolution
      // other than basic), the probe creates it as the sink would, so the new records have somewhere to go.
      if (shape && 'fields' in shape && store.drillOwned && shape.createTable) await query(target, shape.createTable(store.table));
      if (shape && 'fields' in shape) await produceJdbcRecords(kafka, topics[0]!, written, marker, connector, shape);

      let rows: string[] = [];
      let caughtUp = false;
      let readProblem: string | undefined;
      while (Date.now() < deadline && !context.signal.aborted) {
        const failed = context.connect ? await failedParts(context, connector.name) : undefined;
        if (failed) return [{ resource, expected: `connector ${connector.name} and its tasks running`, observed: failed.observed, outcome: 'failed', detail: failed.trace }];
        caughtUp = await sinkCaughtUp(kafka, connector.name, topics);
        try {
          rows = await query(target, `SELECT concat_ws(',', ${store.key.map(quoteIdentifier).join(', ')}) FROM ${quoteTable(store.table)}`);
          readProblem = undefined;
        } catch (error) {
          readProblem = (error as Error).message;
        }
        if (caughtUp && !readProblem && written.every((record) => rows.some((stored) => stored === record || stored.startsWith(`${record},`)))) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const checks = judge(resource, rows, written, marker, 'delivered', this.spec.allowedDuplicates);
      if (store.drillOwned) {
        const others = rows.filter((row) => !row.includes(marker)).length;
        checks[0]!.detail = `${checks[0]!.detail}; the drill's table started empty: ${others} row(s) besides the probe's came from records the restored sink read before the new input`;
      }
      if (written.length === 0) {
        checks[1] = {
          resource,
          outcome: 'skipped',
          expected: `each of ${newRecords.length} new records delivered exactly once`,
          observed: 'no new records written',
          detail: newRecords.length === 0 ? 'newRecords: 0' : (shape as { reason: string }).reason,
        };
      }
      if (readProblem)
        checks.push({
          resource,
          outcome: 'failed',
          expected: `table ${store.table} readable`,
          observed: readProblem,
          detail: 'the sink never created the table, or the probe cannot log in',
        });
      if (!caughtUp) checks.push(notCaughtUp(resource, connector.name, topics));
      return checks;
    } finally {
      await dispose();
    }
  }

  /** The records the probe may give a JDBC sink: only when it writes to the drill's own PostgreSQL (as Connect runs it), never to a database the drill did not start. */
  private async jdbcInput(connector: Connector, context: ProbeContext): Promise<JdbcRecordShape | { reason: string }> {
    const running = context.connect ? await getConnector(context.connect, connector.name).catch(() => undefined) : undefined;
    const url = String((running?.config ?? connector.config)['connection.url'] ?? '');
    const own = context.postgres?.jdbcUrl;
    if (!own || (url !== own && !url.startsWith(`${own}?`))) {
      return { reason: "the sink's connection.url is not the drill's own PostgreSQL (target.postgres): new input would reach a database the drill did not start" };
    }
    return jdbcRecordShape(connector);
  }

  private async checkSource(connector: Connector, newRecords: string[], marker: string, deadline: number, context: ProbeContext): Promise<Check[]> {
    const file = connector.config.file;
    const topic = String(connector.config.topic ?? connector.config.topics ?? '');
    const resource = `connector ${connector.name} topic ${topic}`;
    if (typeof file !== 'string' || topic === '') {
      return [
        {
          resource,
          expected: 'a FileStream source (file and topic configs)',
          observed: `connector.class ${String(connector.config['connector.class'])}`,
          outcome: 'skipped',
          detail: 'only FileStream sources can be given new input by the probe',
        },
      ];
    }
    // The probe appends only to an input file the drill owns, never to one the snapshot names.
    if (!context.workDir || !isInside(path.resolve(context.workDir), path.resolve(context.workDir, file))) {
      return [
        {
          resource,
          expected: `new lines appended to the source's input file`,
          observed: 'not appended',
          outcome: 'skipped',
          detail: `${file} is not in this run's own directory: replace the source's file with \${drill.workDir}/… in restore.connectors.${connector.name}.config`,
        },
      ];
    }
    const snapshotEnds = new Map((context.snapshot.topics.find((candidate) => candidate.name === topic)?.partitionOffsets ?? []).map((p) => [p.partition, p.logEndOffset]));
    await appendFile(file, newRecords.map((record) => `${record}\n`).join(''));

    const emitted: string[] = [];
    const kafka = createProbeClient(context.connection, { clientId: 'kafka-drill-connector-idempotency' });
    const seen = new Set<string>();
    const end = await runConsumerSession(kafka, {
      groupId: `kafka-drill-probe-${marker.split(':').at(-1)}`,
      topics: [topic],
      fromBeginning: true,
      until: 'messages',
      timeoutMs: Math.max(1_000, deadline - Date.now()),
      signal: context.signal,
      onMessage: ({ partition, message }) => {
        if (Number(message.offset) < (snapshotEnds.get(partition) ?? 0)) return false;
        const text = recordText(message.value);
        emitted.push(text);
        if (text.startsWith(marker)) seen.add(text);
        return seen.size === newRecords.length;
      },
    });
    const checks = judge(resource, emitted, newRecords, marker, 'emitted', this.spec.allowedDuplicates);
    if (end.kind === 'failed')
      checks.push({ resource, expected: 'the topic can be read', observed: end.message, outcome: 'failed', ...(end.kafkaError ? { kafkaError: end.kafkaError } : {}) });
    return checks;
  }
}

/** Two checks: the new records came out exactly once; older records repeated no more than allowed. */
export function judge(resource: string, records: string[], newRecords: string[], marker: string, verb: 'delivered' | 'emitted', allowed: number): Check[] {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record, (counts.get(record) ?? 0) + 1);
  const newCounts = newRecords.map((record) => [...counts].filter(([stored]) => stored.includes(record)).reduce((sum, [, n]) => sum + n, 0));
  const missing = newCounts.filter((n) => n === 0).length;
  const doubled = newCounts.filter((n) => n > 1).length;
  const newOnce: Check = {
    resource,
    expected: `each of ${newRecords.length} new records ${verb} exactly once`,
    observed: missing === 0 && doubled === 0 ? `${newRecords.length} ${verb} once each` : `${missing} missing, ${doubled} more than once`,
    outcome: missing === 0 && doubled === 0 ? 'passed' : 'failed',
    detail:
      missing > 0 ? `new input did not come out within the probe's time: the connector is not running, or is still replaying` : `new input after the restore, marker ${marker}`,
  };
  // Sink: a record stored n times is n − 1 duplicates. Source: every pre-snapshot record emitted after the restore is one.
  const repeated =
    verb === 'delivered'
      ? [...counts].filter(([record, n]) => n > 1 && !record.includes(marker)).map(([record, n]) => ({ record, extra: n - 1 }))
      : [...counts].filter(([record]) => !record.startsWith(marker)).map(([record, n]) => ({ record, extra: n }));
  const duplicates = repeated.reduce((sum, entry) => sum + entry.extra, 0);
  const shown = repeated.slice(0, FIRST_SHOWN).map((entry) => truncate(entry.record));
  // Zero records looked at, none written: nothing shows whether the connector replays.
  const nothingSeen = records.length === 0 && newRecords.length === 0;
  const replay: Check = {
    resource,
    expected: `≤ ${allowed} record${allowed === 1 ? '' : 's'} ${verb} again`,
    observed: `${duplicates} record${duplicates === 1 ? '' : 's'} ${verb} again`,
    outcome: nothingSeen ? 'skipped' : duplicates <= allowed ? 'passed' : 'failed',
    detail: nothingSeen
      ? `nothing to look at: 0 records ${verb} and no new input written`
      : duplicates === 0
        ? `${records.length} records looked at, none repeated`
        : `${duplicates} replayed (${repeated.length} distinct); first: ${shown.join(' | ')}`,
  };
  return [replay, newOnce];
}

/**
 * A connector the restore did not start makes the probe end at once, with the reason: skipped
 * when the drill held it back on purpose (an external system, a secret without a source, the
 * connectors phase not selected, or a state the snapshot had), failed when restoring it failed.
 */
function notRunningCheck(connector: Connector, restored: ProbeContext['connectors']): Check | undefined {
  const resource = `connector ${connector.name}`;
  const check = (outcome: 'skipped' | 'failed', observed: string, detail: string): Check => ({ resource, expected: 'a restored connector that runs', observed, outcome, detail });
  if (!restored) return undefined;
  const outcome = restored.get(connector.name);
  if (!outcome) return check('skipped', 'not restored', 'the connectors phase did not restore it (restore.phases)');
  if (outcome.status === 'failed') return check('failed', 'not restored', outcome.reason ?? 'restoring it failed');
  if (outcome.status !== 'restored') return check('skipped', outcome.status === 'isolated' ? 'held back' : 'not created', outcome.reason ?? outcome.status);
  if (connector.state === 'PAUSED' || connector.state === 'STOPPED') {
    return check('skipped', connector.state, `restored ${connector.state} as the snapshot had it: it processes no records`);
  }
  return undefined;
}

function connectorKind(connector: Connector): 'source' | 'sink' | undefined {
  if (connector.type) return connector.type;
  const pluginClass = String(connector.config['connector.class'] ?? '');
  if (/Sink(Connector)?$/.test(pluginClass)) return 'sink';
  if (/Source(Connector)?$/.test(pluginClass)) return 'source';
  return undefined;
}

/** The lines of a sink's file, or why it could not be read (missing: it does not exist). */
type SinkRead = { lines: string[]; problem?: undefined; missing?: undefined } | { lines: []; problem: string; missing: boolean };

/** A sink's file, or why it has none (then no `read`). */
interface SinkStore {
  label: string;
  read?: () => Promise<SinkRead>;
}

/**
 * Records the sink had still to read at the snapshot: for each partition of its topics, the log
 * end minus its restored position (its offsets, in the snapshot's coordinates), or minus the log
 * start where it has none (Connect's sinks read from the earliest offset by default).
 */
export function sinkLagAtSnapshot(connector: Pick<Connector, 'offsets'>, snapshot: Pick<Snapshot, 'topics'>, topics: readonly string[]): number {
  const positions = new Map(
    connector.offsets.flatMap((entry) => {
      const position = sinkPosition(entry);
      return position ? [[`${position.topic}\u0000${position.partition}`, position.offset] as const] : [];
    }),
  );
  let lag = 0;
  for (const topic of snapshot.topics.filter((candidate) => topics.includes(candidate.name))) {
    for (const partition of topic.partitionOffsets) {
      const position = positions.get(`${topic.name}\u0000${partition.partition}`) ?? partition.logStartOffset;
      lag += Math.max(0, partition.logEndOffset - Math.max(position, partition.logStartOffset));
    }
  }
  return lag;
}

/** The failed check of a sink whose group connect-<name> was still behind its log end when the probe gave up. */
function notCaughtUp(resource: string, connectorName: string, topics: string[]): Check {
  return {
    resource,
    outcome: 'failed',
    expected: `group connect-${connectorName} at the log end of ${topics.join(', ')}`,
    observed: 'still behind when the probe gave up',
    detail: 'the count may be incomplete: the sink is not running or is slow',
  };
}

/** Whether the sink's group connect-<name> has committed the log end of every partition of its topics. */
async function sinkCaughtUp(kafka: Kafka, connectorName: string, topics: string[]): Promise<boolean> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const committed = new Map<string, number>();
    for (const entry of await admin.fetchOffsets({ groupId: `connect-${connectorName}`, topics })) {
      for (const partition of entry.partitions) committed.set(`${entry.topic}:${partition.partition}`, Number(partition.offset));
    }
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) {
        if ((committed.get(`${topic}:${partition.partition}`) ?? -1) < Number(partition.high) && Number(partition.high) > Number(partition.low)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export function sinkStore(connector: Connector, store: Spec['store'], specDir: string): SinkStore {
  if (store && 'postgres' in store) return { label: "no store: store.postgres without a url needs the drill's own PostgreSQL (target.postgres)" };
  const file = store?.file ? (isAbsolute(store.file) ? store.file : join(specDir, store.file)) : connector.config.file;
  if (typeof file !== 'string') return { label: 'no store: give store in the probe (the sink has no plain file config)' };
  return {
    label: `file ${file}`,
    read: async () => {
      try {
        const { text } = await readInputFile(file, 'sink file', inputLimits.snapshotBytes);
        return { lines: text.split('\n').filter((line) => line !== '') };
      } catch (error) {
        const missing = await lstat(file).then(
          () => false,
          (statError: NodeJS.ErrnoException) => statError.code === 'ENOENT',
        );
        return { lines: [], problem: errorMessage(error), missing };
      }
    },
  };
}

/** New records in the shape the sink's value converter reads: a string, JSON, or a JSON envelope with a schema. */
async function produceNewRecords(kafka: Kafka, topic: string, records: string[], connector: Connector): Promise<void> {
  // The worker's default converter (JsonConverter with schemas) applies where the connector names none.
  const encode = (side: 'key' | 'value', text: string) => {
    const converter = String(connector.config[`${side}.converter`] ?? 'org.apache.kafka.connect.json.JsonConverter');
    const schemas = String(connector.config[`${side}.converter.schemas.enable`] ?? 'true') === 'true';
    return converter.endsWith('StringConverter') ? text : JSON.stringify(schemas ? { schema: { type: 'string', optional: false }, payload: text } : text);
  };
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await admin.connect();
    const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 1;
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: records.map((text, index) => ({ key: encode('key', text), value: encode('value', text), partition: index % partitions })) });
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

/** A source record's text: JsonConverter's envelope or JSON string unwrapped, else the bytes as UTF-8. */
function recordText(value: Buffer | null): string {
  const text = value?.toString('utf8') ?? '';
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string') return parsed;
    if (parsed && typeof parsed === 'object' && 'payload' in parsed && typeof parsed.payload === 'string') return parsed.payload;
  } catch {
    // not JSON
  }
  return text;
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

// ---- JDBC sinks writing to PostgreSQL ----------------------------------------------------------

const JDBC_SINK_CLASS = 'io.debezium.connector.jdbc.JdbcSinkConnector';
/** The column the probe's records carry besides their id: the run marker. */
const PROBE_COLUMN = 'kafka_drill_probe';

interface JdbcStore {
  /** As PostgreSQL names it: `table` or `schema.table`. */
  table: string;
  /** Columns whose values identify one record (the probe's ids are in the first). */
  key: string[];
  /** The drill's own PostgreSQL (target.postgres): the probe may create the table there. */
  drillOwned: boolean;
  url: string;
}

/** The PostgreSQL store of a sink: the spec's, or for a JDBC sink its table in the drill's own PostgreSQL. */
function jdbcStore(connector: Connector, store: Spec['store'], postgres: DrillPostgres | undefined): JdbcStore | undefined {
  const isJdbcSink = connector.config['connector.class'] === JDBC_SINK_CLASS;
  if (store && 'postgres' in store) {
    const drillOwned = store.postgres.url === undefined;
    if (drillOwned && !postgres) return undefined;
    return { table: store.postgres.table, key: store.postgres.key, drillOwned, url: store.postgres.url ?? postgres!.url };
  }
  if (store || !isJdbcSink || !postgres) return undefined;
  const topic =
    String(connector.config.topics ?? '')
      .split(',')[0]
      ?.trim() ?? '';
  const shape = jdbcRecordShape(connector);
  return { table: jdbcTableName(connector, topic), key: 'fields' in shape ? shape.idColumns : ['id'], drillOwned: true, url: postgres.url };
}

function drillTarget(postgres: DrillPostgres): PsqlTarget {
  return { url: postgres.url, passFile: postgres.passFile };
}

async function query(target: PsqlTarget, sql: string): Promise<string[]> {
  const result = await psql(target, sql);
  if (result.exitCode !== 0) throw new Error(`psql: ${result.stderr.split('\n')[0]}`);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** Debezium's table for a topic: collection.name.format (table.name.format before 3.x) with ${topic}, dots made underscores; unquoted names fold to lower case. */
export function jdbcTableName(connector: Connector, topic: string): string {
  const format = String(connector.config['collection.name.format'] ?? connector.config['table.name.format'] ?? '${topic}');
  const name = format.replaceAll('${topic}', topic.replaceAll('.', '_'));
  return connector.config['quote.identifiers'] === 'true' ? name : name.toLowerCase();
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteTable(table: string): string {
  return table.split('.').map(quoteIdentifier).join('.');
}

type Side = 'key' | 'value';

/** What the connector's converter on one side reads: JSON with a schema envelope, schemaless JSON, or a string. */
function converterOf(connector: Connector, side: Side): { kind: 'json-schema' | 'json' | 'string' | 'other'; name: string } {
  // The worker's default converter (JsonConverter with schemas) applies where the connector names none.
  const name = String(connector.config[`${side}.converter`] ?? 'org.apache.kafka.connect.json.JsonConverter');
  if (name.endsWith('StringConverter')) return { kind: 'string', name };
  if (name !== 'org.apache.kafka.connect.json.JsonConverter') return { kind: 'other', name };
  return { kind: String(connector.config[`${side}.converter.schemas.enable`] ?? 'true') === 'true' ? 'json-schema' : 'json', name };
}

export interface JdbcRecordShape {
  /** The struct fields holding the probe's generated id (the primary key fields where the key comes from the record). */
  fields: string[];
  /** The same as PostgreSQL names the columns. */
  idColumns: string[];
  /** record_key: the key is a struct of `fields`; otherwise a plain string in the key converter's form. */
  keyStruct: boolean;
  /** DDL for the table, when the sink would not create it itself (schema.evolution other than basic). */
  createTable?: (table: string) => string;
}

/**
 * The records the probe can give a JDBC sink, from its settings: the value converter must carry a
 * schema (JsonConverter with schemas.enable, the worker default), and with primary.key.mode
 * record_key the key converter too. Each record is a struct of the id fields (strings) plus the
 * run marker. Otherwise the reason the probe cannot write any.
 */
export function jdbcRecordShape(connector: Connector): JdbcRecordShape | { reason: string } {
  const value = converterOf(connector, 'value');
  if (value.kind !== 'json-schema') {
    return {
      reason: `value.converter ${value.name}${value.kind === 'json' ? ' with schemas.enable=false' : ''}: the probe writes JDBC sink records only as JsonConverter with schemas`,
    };
  }
  const mode = String(connector.config['primary.key.mode'] ?? 'none');
  if (!['none', 'kafka', 'record_key', 'record_value'].includes(mode)) return { reason: `primary.key.mode ${mode}: the probe cannot make such records` };
  const keyStruct = mode === 'record_key';
  if (keyStruct && converterOf(connector, 'key').kind !== 'json-schema') {
    return { reason: `primary.key.mode record_key with key.converter ${converterOf(connector, 'key').name}: the probe writes keys only as JsonConverter with schemas` };
  }
  const listed = String(connector.config['primary.key.fields'] ?? '')
    .split(',')
    .map((field) => field.trim())
    .filter(Boolean);
  const fields = (mode === 'record_key' || mode === 'record_value') && listed.length > 0 ? listed : ['id'];
  const column = (field: string) => (connector.config['quote.identifiers'] === 'true' ? field : field.toLowerCase());
  const idColumns = fields.map(column);
  const primaryKey = mode === 'kafka' ? ['__connect_topic', '__connect_partition', '__connect_offset'] : mode === 'none' ? [] : idColumns;
  const createTable =
    connector.config['schema.evolution'] === 'basic'
      ? undefined
      : (table: string) => {
          const columns = [
            ...idColumns.map((name) => `${quoteIdentifier(name)} text NOT NULL`),
            `${quoteIdentifier(PROBE_COLUMN)} text`,
            ...(mode === 'kafka' ? ['"__connect_topic" text NOT NULL', '"__connect_partition" integer NOT NULL', '"__connect_offset" bigint NOT NULL'] : []),
            ...(primaryKey.length > 0 ? [`PRIMARY KEY (${primaryKey.map(quoteIdentifier).join(', ')})`] : []),
          ];
          return `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (${columns.join(', ')})`;
        };
  return { fields, idColumns, keyStruct, ...(createTable ? { createTable } : {}) };
}

/** The probe's record for one generated id, as the connector's converters read it. */
export function jdbcRecord(connector: Connector, shape: JdbcRecordShape, id: string, marker: string): { key: string; value: string } {
  const struct = (fields: string[]) => ({ type: 'struct', optional: false, fields: fields.map((field) => ({ field, type: 'string', optional: field === PROBE_COLUMN })) });
  const ids = Object.fromEntries(shape.fields.map((field) => [field, id]));
  const value = JSON.stringify({ schema: struct([...shape.fields, PROBE_COLUMN]), payload: { ...ids, [PROBE_COLUMN]: marker } });
  if (shape.keyStruct) return { key: JSON.stringify({ schema: struct(shape.fields), payload: ids }), value };
  const key = converterOf(connector, 'key');
  return {
    key: key.kind === 'string' ? id : JSON.stringify(key.kind === 'json-schema' ? { schema: { type: 'string', optional: false }, payload: id } : id),
    value,
  };
}

async function produceJdbcRecords(kafka: Kafka, topic: string, ids: string[], marker: string, connector: Connector, shape: JdbcRecordShape): Promise<void> {
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await admin.connect();
    const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 1;
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: ids.map((id, index) => ({ ...jdbcRecord(connector, shape, id, marker), partition: index % partitions })) });
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

/** The connector or one of its tasks FAILED: which, and Connect's trace (its first lines). */
async function failedParts(context: ProbeContext, name: string): Promise<{ observed: string; trace: string } | undefined> {
  const status = await connectorStatus(context.connect!, name).catch(() => undefined);
  if (!status) return undefined;
  const failed = [
    ...(status.connector.state === 'FAILED' ? [{ what: 'the connector', trace: status.connector.trace }] : []),
    ...status.tasks.filter((task) => task.state === 'FAILED').map((task) => ({ what: `task ${task.id}`, trace: task.trace })),
  ];
  if (failed.length === 0) return undefined;
  return {
    observed: `${failed.map((part) => part.what).join(', ')} FAILED`,
    trace: failed.map((part) => `${part.what}: ${(part.trace ?? 'no trace').split('\n').slice(0, 12).join('\n')}`).join('\n'),
  };
}
