import type { GroupReader, RestoredReads } from './restored-reads.js';
import type { DrillPostgres } from '../environment/connect/postgres.js';
import type { EnvironmentTls } from '../environment/tls/tls.js';
import type { ConnectEndpoint } from '../kafka/connect-rest.js';
import type { ClientClass, SecurityMode } from '../model/enums.js';
import type { KafkaConnection, SaslMechanism } from '../kafka/connection.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { ProbeEvidence, ProbeRecord, Sample } from '../model/result.js';
import type { StringPool } from '../string-pool.js';
import type { MirrorOutcome } from '../restore/phase.js';
import type { OffsetMap } from '../restore/offset-map.js';
import type { ConnectorRestore } from '../restore/phase.js';

/**
 * One interface for every probe kind (like testcontainers' wait strategies): a probe is a
 * description built from the spec; `check` runs it against a restored environment and returns
 * its status and evidence. The runner adds id, type, name and timing, and turns exceptions
 * into `error` outcomes, so a probe never has to catch its own crashes.
 *
 * ProbeRecord and ProbeEvidence are the result model's probe entries (src/model/result.ts),
 * so the drill copies outcomes into result.json as they are.
 */
export type ProbeStatus = ProbeRecord['status'];

/** What a probe's check returns; the runner turns it into a ProbeRecord. */
export interface ProbeVerdict {
  status: ProbeStatus;
  evidence: ProbeEvidence[];
  /** Processes a client class started for this probe (kcat runs, JVMs), for the matrix. */
  processes?: number;
}

/** Where the restored environment is and how clients reach it. */
export interface ProbeEnvironment {
  bootstrap: string[];
  security: SecurityMode;
  kafkaVersion: string;
}

/** What the drill hands every probe. */
export interface ProbeRunContext {
  /** The admin super user of the restored environment. */
  connection: KafkaConnection;
  snapshot: Snapshot;
  /** Password of each SCRAM user the restore created, by user name (without "User:"). */
  credentials: ReadonlyMap<string, string>;
  /** TLS modes: the drill's CA; in mtls, client certificates for principals (see EnvironmentTls.clientFor). */
  tls?: EnvironmentTls;
  environment: ProbeEnvironment;
  /** The restored environment's Connect worker, when it has one. */
  connect?: ConnectEndpoint;
  /** The drill's own PostgreSQL (target.postgres), where restored JDBC sinks write. */
  postgres?: DrillPostgres;
  /** The run's own directory (0700, removed at teardown): client config files go here. */
  workDir?: string;
  /** Directory of the drill spec: custom probe modules are relative to it. */
  specDir: string;
  signal: AbortSignal;
  /** Budget of one probe, unless the probe brings its own (custom probes do). */
  timeoutMs: number;
  /**
   * What the restore did with data. Absent: the cluster holds the source's own records at the
   * source's offsets (a test cluster, later a mirror).
   */
  restoredData?: { mode: 'none' } | { mode: 'synthetic'; offsetMap: OffsetMap } | { mode: 'mirror'; mirror: MirrorOutcome };
  /**
   * What the connectors phase did with each connector of the snapshot; a connector absent from
   * it was not restored. Absent: not known (a test restoring by hand), every connector is probed.
   */
  connectors?: ReadonlyMap<string, ConnectorRestore>;
  /** The drill's time series as it is sampled (src/drill/sampler.ts); absent when sampling is off. */
  samples?: SampleFeed;
}

/** Samples as the drill takes them, for probes judged on them (success criteria). */
export interface SampleFeed {
  readonly intervalMs: number;
  /** The next sample taken from now on; undefined once sampling has stopped or the signal aborts. */
  next(signal: AbortSignal): Promise<Sample | undefined>;
}

/** The context a probe sees: the drill's, plus what the runner knows about the other probes. */
export interface ProbeContext extends ProbeRunContext {
  /**
   * Settles once every probe that reads restored groups' committed offsets (the offsets probes
   * of this run) has finished. A probe that must join a restored consumer group waits for it:
   * joining while an offsets probe's consumer is in that group would split its partitions.
   */
  committedOffsetsRead: Promise<void>;
  /** Per group and topic, when the offsets probes are done with it: sooner than committedOffsetsRead. Absent: wait for committedOffsetsRead. */
  restoredReads?: RestoredReads;
  /** An offsets probe's own: where it names the groups it will read and releases each one it is done with. */
  groupReader?: GroupReader;
}

export interface ProbeRunner {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  /** True for probes whose consumers join restored groups to observe where they resume. */
  readonly readsCommittedOffsets?: boolean;
  /**
   * True for a probe that itself defers what could disturb the offsets probes (waits on
   * `committedOffsetsRead`). Every other probe may produce records anywhere, so it starts only
   * after the offsets probes are done.
   */
  readonly defersOwnWrites?: boolean;
  /** Own budget in ms, replacing the context's timeoutMs. */
  readonly timeoutMs?: number;
  /** A probe of the client matrix: the spec probe it stands for (the matrix row) and its client class. */
  readonly matrix?: { probe: string; clientClass: ClientClass };
  /**
   * Without an own budget: the time the probe's work needs at this snapshot's size. The probe gets
   * the larger of this and the context's timeoutMs, so a fixed minute does not fail big clusters.
   */
  workTimeoutMs?(context: ProbeRunContext): number;
  check(context: ProbeContext): Promise<ProbeVerdict>;
}

export function errorVerdict(message: string, evidence: ProbeEvidence[] = []): ProbeVerdict {
  return { status: 'error', evidence: [...evidence, { outcome: 'failed', expected: 'the probe runs', observed: `error: ${message}` }] };
}

/** failed if any check failed; passed if none failed and one passed; skipped when every check was skipped. */
export function verdictOf(evidence: ProbeEvidence[]): ProbeVerdict & { processes?: number } {
  const status = evidence.some((item) => item.outcome === 'failed') ? 'failed' : evidence.some((item) => item.outcome === 'passed') ? 'passed' : 'skipped';
  return { status, evidence };
}

/** "User:alice" → "alice". */
export function userName(principal: string): string {
  return principal.replace(/^User:/, '');
}

/** The SASL mechanism a restored user authenticates with: its SCRAM-SHA-512 credential if it has one. */
export function mechanismOf(snapshot: Snapshot, user: string): SaslMechanism {
  const credentials = snapshot.scramUsers.find((scramUser) => scramUser.name === user)?.credentials ?? [];
  if (credentials.length > 0 && !credentials.some((credential) => credential.mechanism === 'SCRAM-SHA-512')) return 'SCRAM-SHA-256';
  return 'SCRAM-SHA-512';
}

/** Rejects with the signal's reason as soon as it aborts; for racing long client calls. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Maps over items with at most `limit` in flight, keeping order. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * The check as a plain object of a shape every check with the same fields shares, its strings
 * kept in `strings`. Probes build checks with spreads (`{ ...base(check), outcome }`), and V8
 * (11.3, Node 20) gives each object built so by optimized code a hidden class of its own: ~300
 * bytes a check, ~20 MB of a 5,000-topic drill's 47,000 checks, held until the reports are written.
 */
export function plainEvidence(item: ProbeEvidence, strings: StringPool): ProbeEvidence {
  const keep = (value: string) => strings.keep(value);
  const plain: ProbeEvidence = { outcome: item.outcome, expected: keep(item.expected), observed: keep(item.observed) };
  if (item.principal !== undefined) plain.principal = keep(item.principal);
  if (item.operation !== undefined) plain.operation = keep(item.operation);
  if (item.resource !== undefined) plain.resource = keep(item.resource);
  if (item.kafkaError !== undefined) plain.kafkaError = keep(item.kafkaError);
  if (item.detail !== undefined) plain.detail = keep(item.detail);
  if (item.replay !== undefined) plain.replay = { group: keep(item.replay.group), topic: keep(item.replay.topic), partition: item.replay.partition, records: item.replay.records };
  if (item.owner !== undefined) plain.owner = keep(item.owner);
  if (item.client !== undefined) plain.client = keep(item.client);
  return plain;
}
