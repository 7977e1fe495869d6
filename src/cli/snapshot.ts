/** `kafka-drill snapshot`: capture a live cluster's control plane into a snapshot file (or stdout). */
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ExitCode, InputError } from '../errors.js';
import { loadCommandConfig } from '../kafka/command-config.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { serializeSnapshot } from '../snapshot/canonical.js';
import { captureWithStats } from '../snapshot/capture.js';
import { captureConnect } from '../snapshot/capture-connect.js';
import { captureTlsChain } from '../snapshot/tls-chain.js';
import type { ConnectEndpoint } from '../kafka/connect-rest.js';
import { writeSnapshot } from '../snapshot/load.js';
import type { SnapshotContent } from '../snapshot/schema.js';
import { parseCommandArgs } from './args.js';
import { toolVersion } from '../version.js';

const usage = `Usage: kafka-drill snapshot --bootstrap-server HOST:PORT [options]

Capture a cluster's control plane (topics, configs, ACLs, SCRAM users, quotas, consumer
group offsets, and with --connect-url every Kafka Connect connector with its offsets) into a
snapshot. Read-only: sends only Describe/List/Fetch requests and Connect REST GETs.

Options:
  --bootstrap-server HOST:PORT  the cluster (comma-separated for several)
  --command-config FILE         Java client properties (security.protocol, sasl.*, ssl.*)
  --out FILE                    write the snapshot here (atomically, creating its folder); default stdout
  --include REGEX               keep only topics and group ids matching
  --exclude REGEX               leave out topics and group ids matching
  --fingerprints                hash the record at each committed offset (needs READ)
  --record-bootstrap            write the bootstrap addresses into the snapshot
  --connect-url URL             a Kafka Connect worker's REST URL: capture its connectors
                                (config with secrets redacted, state, tasks, offsets)
  --connect-header 'Name: value'  a header for every Connect request (repeatable), e.g.
                                'Authorization: Basic ...'; never written anywhere
  -h, --help                    show this help
`;

export const connectionOptions = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
} as const;

/** The cluster named by --bootstrap-server / --command-config; undefined when neither is given. */
export async function connectionFromArgs(command: string, values: { 'bootstrap-server'?: string; 'command-config'?: string }): Promise<KafkaConnection | undefined> {
  const bootstrap = values['bootstrap-server']
    ?.split(',')
    .map((address) => address.trim())
    .filter(Boolean);
  for (const address of bootstrap ?? []) {
    if (!/^[^\s:]+:\d+$/.test(address) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(address))
      throw new InputError(`${command}: --bootstrap-server: expected HOST:PORT, got ${JSON.stringify(address)}`);
  }
  if (values['command-config']) return loadCommandConfig(values['command-config'], bootstrap ? { bootstrap } : {});
  if (bootstrap?.length) return { bootstrap };
  return undefined;
}

function regex(command: string, flag: string, source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch (error) {
    throw new InputError(`${command}: --${flag}: not a valid regular expression: ${(error as Error).message}`);
  }
}

export async function runSnapshot(argv: string[], stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const { values } = parseCommandArgs('snapshot', argv, {
    ...connectionOptions,
    out: { type: 'string' },
    include: { type: 'string' },
    exclude: { type: 'string' },
    fingerprints: { type: 'boolean' },
    'record-bootstrap': { type: 'boolean' },
    'connect-url': { type: 'string' },
    'connect-header': { type: 'string', multiple: true },
  });
  if (values.help) {
    stdout.write(usage);
    return ExitCode.ok;
  }
  const include = regex('snapshot', 'include', values.include);
  const exclude = regex('snapshot', 'exclude', values.exclude);
  const connection = await connectionFromArgs('snapshot', values);
  if (!connection) throw new InputError(`snapshot: --bootstrap-server HOST:PORT is required (or bootstrap.servers in --command-config)\n\n${usage}`);
  const connect = connectEndpointFromArgs(values['connect-url'], values['connect-header'] ?? []);
  if (values.out) await prepareOutFile(values.out);

  const { snapshot, elapsedMs, requests } = await captureWithStats(connection, {
    ...(include && { include }),
    ...(exclude && { exclude }),
    fingerprints: values.fingerprints ?? false,
    recordBootstrap: values['record-bootstrap'] ?? false,
    leaveOutDrillAdmin: true,
    toolVersion: toolVersion(),
  });
  if (connect) snapshot.connect = (await captureConnect(connect, snapshot)).connect;
  // security.protocol SSL or SASL_SSL: the chain the bootstrap listener presents (public parts only).
  if (connection.tls) snapshot.tls = { chain: await captureTlsChain(connection) };
  if (values.out) await writeSnapshot(values.out, snapshot);
  else stdout.write(serializeSnapshot(snapshot));
  stderr.write(`${summary(snapshot, elapsedMs, requests)}\n`);
  return ExitCode.ok;
}

/** Before the capture, so a bad --out costs no capture: its folder is created, and it must not be a folder itself. */
async function prepareOutFile(file: string): Promise<void> {
  if ((await stat(file).catch(() => undefined))?.isDirectory()) throw new InputError(`snapshot: --out: ${file} is a folder; give a file name`);
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (error) {
    throw new InputError(`snapshot: --out: cannot create the folder ${dirname(file)}: ${(error as Error).message}`);
  }
}

/** The Connect worker named by --connect-url / --connect-header; undefined without a URL. */
export function connectEndpointFromArgs(url: string | undefined, headers: string[]): ConnectEndpoint | undefined {
  if (url === undefined) {
    if (headers.length > 0) throw new InputError('snapshot: --connect-header needs --connect-url');
    return undefined;
  }
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new InputError(`snapshot: --connect-url: expected http(s)://HOST:PORT, got ${JSON.stringify(url)}`);
  const parsed: Record<string, string> = {};
  for (const header of headers) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(header);
    // The value may be a credential: name the header, never echo its value.
    if (!match) throw new InputError(`snapshot: --connect-header: expected 'Name: value', got a header without a valid name before ':'`);
    parsed[match[1]!] = match[2]!;
  }
  return { url, headers: parsed };
}

function summary(snapshot: SnapshotContent, elapsedMs: number, requests: Record<string, number>): string {
  const roundTrips = Object.values(requests).reduce((sum, count) => sum + count, 0);
  const offsets = snapshot.consumerGroups.reduce((sum, group) => sum + group.offsets.length, 0);
  const skipped = snapshot.skippedTopics.length > 0 ? `, skipped ${snapshot.skippedTopics.map((topic) => topic.name).join(', ')}` : '';
  return (
    `snapshot of ${snapshot.source.clusterId} (Kafka ${snapshot.source.kafkaVersion}): ${snapshot.topics.length} topics, ` +
    `${snapshot.acls.length} ACLs, ${snapshot.scramUsers.length} SCRAM users, ${snapshot.quotas.length} quotas, ` +
    `${snapshot.consumerGroups.length} groups (${offsets} committed offsets)` +
    `${snapshot.connect ? `, ${snapshot.connect.connectors.length} connectors` : ''}${skipped} in ${(elapsedMs / 1000).toFixed(1)}s, ${roundTrips} requests` +
    (snapshot.source.notes ?? []).map((note) => `\n  note: ${note}`).join('')
  );
}
