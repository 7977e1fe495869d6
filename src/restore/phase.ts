import type { Admin } from '@platformatic/kafka';
import type { BrokerMapping } from '../environment/broker-ids.js';
import type { ConnectEndpoint } from '../kafka/connect-rest.js';
import type { KafkaConnection } from '../kafka/connection.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { Finding, FindingCode, PhaseCounts } from '../model/result.js';
import type { ProgressListener } from '../model/progress.js';
import { chunkByWeight, DEFAULT_RECORDS_PER_REQUEST } from '../kafka/request-limits.js';
import type { PlaceholderValues } from '../drill-spec/placeholders.js';
import type { OffsetMap } from './offset-map.js';

/** The restore phases, in the order clients experience a cluster. */
export const RESTORE_PHASES = ['topics', 'cluster-configs', 'security', 'data', 'offsets', 'connectors'] as const;
export type RestorePhaseName = (typeof RESTORE_PHASES)[number];

/** A recovery step the restore could not do itself, e.g. supplying a real password. */
export interface RestoreManualStep {
  id: string;
  title: string;
  phase: RestorePhaseName;
  estimateMinutes: number;
  /** What the step is about, for its owner (drill/owners.ts). */
  asset?: Asset;
}

export interface PhaseResult {
  phase: RestorePhaseName;
  status: 'passed' | 'failed' | 'skipped';
  startedAt: string;
  durationMs: number;
  counts: PhaseCounts;
  findings: Finding[];
  manualSteps: RestoreManualStep[];
  /** Kafka requests this phase sent, to keep restore at O(kinds) round trips. */
  requests: number;
}

import type { Asset } from '../model/asset.js';
import type { CredentialSource } from '../drill-spec/schema.js';
import type { MirrorGroupPartition, MirrorEvidence } from '../model/result.js';
import type { CommittedOffset } from '../snapshot/schema.js';
import type { TargetPosition } from './offset-map.js';
export type ConnectorSecretSource = { env: string } | { file: string };

export interface RestoreOptions {
  phases?: readonly RestorePhaseName[];
  data?: 'none' | 'synthetic' | 'mirror';
  /** data: mirror — the live source and the cut-over. */
  mirror?: MirrorOptions;
  /** SCRAM user name → where its password comes from; a user with none gets a generated one and a manual step. */
  credentials?: Record<string, CredentialSource>;
  /** Directory credential `file` sources are relative to. */
  baseDir?: string;
  /** Create topics with min(replication factor, broker count) when the target has fewer brokers. */
  clampReplication?: boolean;
  /** Synthetic data: records per partition past the windows the offset map always reproduces. */
  maxRecordsPerPartition?: number;
  /** Metadata records one create/alter request may carry (default 5,000; KRaft refuses over 10,000). Tests lower it to exercise the split. */
  recordsPerRequest?: number;
  /**
   * Broker configs the environment already set in its brokers' server.properties from the snapshot,
   * because Kafka cannot change them dynamically (mtls: ssl.principal.mapping.rules); name → value.
   */
  startupConfigs?: Record<string, string>;
  /** The drill's brokers' max heap in MiB (unset for an external cluster): a heap-sized config larger than it holds is not applied. */
  brokerHeapMb?: number;
  /** The target's Kafka version, named in the reason a config it does not know was not applied. */
  kafkaVersion?: string;
  /** Which target broker stands for each source broker (per-broker configs); default: the same id. */
  brokerMapping?: BrokerMapping;
  /** The target's Kafka Connect worker, for the connectors phase. */
  connect?: ConnectEndpoint;
  /** Connector name → config key → where a value redacted in the snapshot comes from. */
  connectorSecrets?: Record<string, Record<string, ConnectorSecretSource>>;
  /**
   * Connector name → settings the drill spec replaces (values may hold `${drill.*}` placeholders)
   * and external settings it allows as captured (the spec's restore.connectors).
   */
  connectorOverrides?: Record<string, ConnectorOverride>;
  /** Values of the `${drill.*}` placeholders in connectorOverrides. */
  placeholders?: PlaceholderValues;
  /** Aborts long work (producing data, waiting for log ends) when the drill is interrupted. */
  signal?: AbortSignal;
  /** Told every secret the restore handles (passwords accepted by the target or not, connector secrets), so the drill can mask it. */
  secrets?: { add(secret: string): void };
}

export interface MirrorOptions {
  /** The live source, as kafka-drill's own clients reach it (read only: ListOffsets, Fetch). */
  source: KafkaConnection;
  /** Client properties of the source for MirrorMaker's clients (bootstrap, security). */
  sourceProperties: Record<string, string>;
  /** Client properties of the target as the Connect workers reach it. */
  targetProperties: Record<string, string>;
  /** Regular expressions of the topics to copy; default every topic of the snapshot. */
  topics?: string[] | undefined;
  catchUpTimeoutMs: number;
  offsets: 'checkpoint' | 'exact';
}

/** What the mirror did, and per group partition where each translation puts it. */
export interface MirrorOutcome {
  evidence: MirrorEvidence;
  /** Both translations of one committed offset of a group, when its topic was mirrored. */
  entry(groupId: string, committed: Pick<CommittedOffset, 'topic' | 'partition'>): MirrorGroupPartition | undefined;
  /** The target position the offsets phase commits for a group's committed offset. */
  translate(groupId: string, committed: CommittedOffset): TargetPosition;
}

export interface ConnectorOverride {
  config?: Record<string, string> | undefined;
  allowExternal?: readonly string[] | undefined;
  /** The spec vouches that every setting naming an external system is replaced or allowed: a connector class the drill does not know may run. */
  externalSettingsReviewed?: boolean | undefined;
}

/**
 * What became of one connector of the snapshot, for the probes that feed it: restored (in the
 * snapshot's state), isolated (restored STOPPED, or not created, because it names an external
 * system the drill does not replace), unsourced (not created: a redacted setting has no source),
 * or failed.
 */
export interface ConnectorRestore {
  status: 'restored' | 'isolated' | 'unsourced' | 'failed';
  /** Why it is not running, for every status but restored. */
  reason?: string;
  /** Restored running against external systems the spec allows (allowExternal): those settings. Probes feed it nothing. */
  external?: string[];
}

export interface RestoreContext {
  admin: Admin;
  connection: KafkaConnection;
  snapshot: Snapshot;
  options: RestoreOptions;
  brokerIds: number[];
  /** Passwords of the SCRAM users this restore set, for probes. Filled by the security phase. */
  credentials: Map<string, string>;
  /** Connector name → what the connectors phase did with it. Filled by the connectors phase (which creates it when absent). */
  connectors?: Map<string, ConnectorRestore>;
  /** How long transient errors (coordinators, leaders still coming up) are retried: derived from the snapshot's partition count. */
  transientDeadlineMs: number;
  /** Progress for a person watching; never part of the result. */
  onProgress?: ProgressListener;
  /** Source → target offsets; present when the data mode is synthetic. */
  offsetMap?: OffsetMap;
  /** What the mirror copied and how it translates offsets; set by the data phase when the data mode is mirror. */
  mirror?: MirrorOutcome;
}

/**
 * Collects a phase's counts, findings and request count; `finish` stamps duration and status.
 * The restore creates it before the phase starts, so a phase that throws still reports the time
 * it ran and the requests it sent. Progress (objects done of planned, records produced) goes to
 * the optional listener only.
 */
export class PhaseRecorder {
  readonly counts: PhaseCounts = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  readonly findings: Finding[] = [];
  readonly manualSteps: RestoreManualStep[] = [];
  requests = 0;
  private readonly started = performance.now();
  private readonly startedAt = new Date().toISOString();
  private progress: { done: number; total: number; unit: string; records?: number; detail?: string } | undefined;

  constructor(
    readonly phase: RestorePhaseName,
    private readonly onProgress?: ProgressListener,
  ) {}

  /** Adds `total` objects to what the phase will do (shown as done/total while it runs). */
  plan(total: number, unit = 'objects'): void {
    this.progress = { done: this.progress?.done ?? 0, total: (this.progress?.total ?? 0) + total, unit };
    this.report();
  }

  /** `count` more planned objects are done (whatever their outcome). */
  advance(count: number): void {
    if (!this.progress) return;
    this.progress.done += count;
    this.report();
  }

  /** Records produced so far, for a phase that writes data, and what else a person watching it wants to see. */
  produced(records: number, detail?: string): void {
    this.progress = { ...(this.progress ?? { done: 0, total: 0, unit: 'partitions' }), records, ...(detail ? { detail } : {}) };
    this.report();
  }

  private report(ended = false): void {
    if (this.onProgress && this.progress) this.onProgress({ phase: this.phase, ...this.progress, ...(ended ? { ended } : {}) });
  }

  finding(code: FindingCode, severity: Finding['severity'], object: string, message: string, kafkaError?: string): void {
    this.findings.push({ code, severity, object, message, ...(kafkaError ? { kafkaError } : {}) });
  }

  /** Counts one request and passes its promise through. */
  request<T>(call: Promise<T>): Promise<T> {
    this.requests++;
    return call;
  }

  finish(): PhaseResult {
    this.report(true);
    return {
      phase: this.phase,
      status: this.counts.failed > 0 || this.findings.some((f) => f.severity === 'error') ? 'failed' : 'passed',
      startedAt: this.startedAt,
      durationMs: Math.round(performance.now() - this.started),
      counts: this.counts,
      findings: this.findings,
      manualSteps: this.manualSteps,
      requests: this.requests,
    };
  }
}

/**
 * Sends `items` in requests of at most the context's records-per-request (each item weighing the
 * metadata records it writes), one after another. A request that fails as a whole (a timeout, a
 * lost connection) is sent once more — every write the restore makes is idempotent — and if it
 * fails again, `onFailed` gets its items: the other requests' results stand either way.
 * `send` counts its requests (recorder.request) and learns whether it is the repeat, since objects
 * it finds done may be its first attempt's.
 */
export async function sendInChunks<T>(
  context: RestoreContext,
  recorder: PhaseRecorder,
  items: readonly T[],
  weightOf: (item: T) => number,
  send: (chunk: T[], repeated: boolean) => Promise<void>,
  onFailed: (chunk: T[], error: unknown) => void,
): Promise<void> {
  for (const chunk of chunkByWeight(items, weightOf, context.options.recordsPerRequest ?? DEFAULT_RECORDS_PER_REQUEST)) {
    try {
      await send(chunk, false);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      try {
        await send(chunk, true);
      } catch (error) {
        onFailed(chunk, error);
      }
    }
    recorder.advance(chunk.length);
  }
}
