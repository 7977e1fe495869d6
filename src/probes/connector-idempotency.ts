import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import type { Kafka } from 'kafkajs';
import { inputLimits, readInputFile } from '../input-file.js';
import { createProbeClient } from '../kafka/probe-client.js';
import type { Connector } from '../snapshot/schema.js';
import type { ConnectorIdempotencyProbe as ConnectorIdempotencyProbeSpec } from '../spec/schema.js';
import { runConsumerSession } from './consumer-session.js';
import { verdictOf, type Probe, type ProbeContext, type ProbeEvidence, type ProbeVerdict } from './probe.js';

/**
 * The connector idempotency probe: does a restored connector write anything twice?
 *
 * - Sink: the probe produces N new records (a unique run marker in each) to the connector's
 *   topics, waits until every one is in the sink's real store (the FileStream sink's file, or
 *   rows of a PostgreSQL table), then counts records the store holds more than once — a sink
 *   whose restored offsets were behind what it had written replays them. Each new record must
 *   be there exactly once; duplicates must not exceed the allowed number.
 * - Source (FileStream): the probe appends N new lines to the connector's input file and reads
 *   the topic from the snapshot's log end offsets (what the source had emitted before the
 *   snapshot; the restore's data phase rebuilt up to there). Whatever appears after that and is
 *   not a new line was emitted again; each new line must appear exactly once.
 *
 * Every check is an evidence item whose outcome is typed; the evidence names the first
 * duplicated records and how many there were.
 */
const FIRST_SHOWN = 5;

type Spec = Pick<ConnectorIdempotencyProbeSpec, 'connector' | 'newRecords' | 'allowedDuplicates' | 'store' | 'timeoutMs'>;
type Check = ProbeEvidence;

export class ConnectorIdempotencyProbe implements Probe {
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
    const marker = `kafka-drill-probe:${this.id}:${randomBytes(6).toString('hex')}`;
    const newRecords = Array.from({ length: this.spec.newRecords }, (_, index) => `${marker}:${index}`);
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
    // New input only where the probe knows the record shape the sink reads (FileStream: a string).
    const written = store.kind === 'file' ? newRecords : [];
    if (written.length > 0) await produceNewRecords(kafka, topics[0]!, written, connector);

    // Done when the sink has consumed everything (its group connect-<name> is at every log end) and the new records are stored.
    let records: string[] = [];
    let caughtUp = false;
    while (Date.now() < deadline && !context.signal.aborted) {
      caughtUp = await sinkCaughtUp(kafka, connector.name, topics);
      records = await store.read();
      if (caughtUp && written.every((record) => records.some((stored) => stored.includes(record)))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const checks = this.judge(resource, records, written, marker, 'delivered');
    if (written.length === 0) {
      checks[1] = {
        resource,
        outcome: 'skipped',
        expected: `each of ${newRecords.length} new records delivered exactly once`,
        observed: 'no new records written',
        detail: newRecords.length === 0 ? 'newRecords: 0' : 'the probe writes new input only for FileStream sinks (a JDBC sink needs records with its schema)',
      };
    }
    if (!caughtUp) {
      checks.push({
        resource,
        outcome: 'failed',
        expected: `group connect-${connector.name} at the log end of ${topics.join(', ')}`,
        observed: 'still behind when the probe gave up',
        detail: 'the count may be incomplete: the sink is not running or is slow',
      });
    }
    return checks;
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
    const checks = this.judge(resource, emitted, newRecords, marker, 'emitted');
    if (end.kind === 'failed')
      checks.push({ resource, expected: 'the topic can be read', observed: end.message, outcome: 'failed', ...(end.kafkaError ? { kafkaError: end.kafkaError } : {}) });
    return checks;
  }

  /** Two checks: the new records came out exactly once; older records repeated no more than allowed. */
  private judge(resource: string, records: string[], newRecords: string[], marker: string, verb: 'delivered' | 'emitted'): Check[] {
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
    const allowed = this.spec.allowedDuplicates;
    const shown = repeated.slice(0, FIRST_SHOWN).map((entry) => truncate(entry.record));
    const replay: Check = {
      resource,
      expected: `≤ ${allowed} record${allowed === 1 ? '' : 's'} ${verb} again`,
      observed: `${duplicates} record${duplicates === 1 ? '' : 's'} ${verb} again`,
      outcome: duplicates <= allowed ? 'passed' : 'failed',
      detail: duplicates === 0 ? `${records.length} records looked at, none repeated` : `${duplicates} replayed (${repeated.length} distinct); first: ${shown.join(' | ')}`,
    };
    return [replay, newOnce];
  }
}

function connectorKind(connector: Connector): 'source' | 'sink' | undefined {
  if (connector.type) return connector.type;
  const pluginClass = String(connector.config['connector.class'] ?? '');
  if (/Sink(Connector)?$/.test(pluginClass)) return 'sink';
  if (/Source(Connector)?$/.test(pluginClass)) return 'source';
  return undefined;
}

interface SinkStore {
  kind: 'file' | 'postgres' | 'none';
  label: string;
  read?: () => Promise<string[]>;
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

function sinkStore(connector: Connector, store: Spec['store'], specDir: string): SinkStore {
  if (store && 'postgres' in store) {
    const { url, table, key } = store.postgres;
    const columns = key.map((column) => `"${column.replaceAll('"', '""')}"`).join(', ');
    const query = `SELECT concat_ws(',', ${columns}) FROM "${table.replaceAll('"', '""')}"`;
    return {
      kind: 'postgres',
      label: `table ${table}`,
      read: async () => {
        const result = await execa('psql', [url, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', query], { reject: false });
        if (result.exitCode !== 0) throw new Error(`psql failed on table ${table}: ${result.stderr.split('\n')[0]}`);
        return result.stdout.split('\n').filter((line) => line !== '');
      },
    };
  }
  const file = store?.file ? (isAbsolute(store.file) ? store.file : join(specDir, store.file)) : connector.config.file;
  if (typeof file !== 'string') return { kind: 'none', label: 'no store: give store in the probe (the sink has no plain file config)' };
  return {
    kind: 'file',
    label: `file ${file}`,
    read: async () =>
      (
        await readInputFile(file, 'sink file', inputLimits.snapshotBytes).then(
          ({ text }) => text,
          () => '',
        )
      )
        .split('\n')
        .filter((line) => line !== ''),
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
