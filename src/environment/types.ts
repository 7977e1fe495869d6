import type { BrokerStorage, MetadataMode, ProviderName, SecurityMode } from '../model/enums.js';
import type { KafkaConnection } from '../kafka/connection.js';

import type { DrillPostgres } from './connect/postgres.js';
import type { EnvironmentTls } from './tls/tls.js';

/** What a drill asks for; a provider turns it into a StartedEnvironment. */
export interface EnvironmentRequest {
  kafkaVersion: string;
  /** 1 to 5. */
  brokers: number;
  /** The brokers' node ids, one per broker; default 1..brokers. */
  nodeIds?: number[];
  security: SecurityMode;
  /** Default kraft; zookeeper: a ZooKeeper beside the brokers (process provider, Kafka 3.x). */
  metadata?: MetadataMode;
  /** mtls: the source's ssl.principal.mapping.rules (from the snapshot), else Kafka's DEFAULT. */
  principalMappingRules?: string;
  /** Keep temporary directories (logs, data) after stop, for debugging. */
  keepDirs?: boolean;
  /** Max heap per broker JVM, in MiB; default 512. */
  heapMb?: number;
  /** The open-file limit each broker needs (sizing.ts); its soft limit is raised to it, never lowered. */
  openFiles?: number;
  /** Where the brokers keep their data (broker-storage.ts); default disk. memory falls back to disk where the host has no tmpfs to spare. */
  brokerStorage?: BrokerStorage;
  /** With memory storage: the most data the brokers will hold together (sizing.ts); the tmpfs must have that free beside its margin. */
  brokerDataBytes?: number;
  /** JVMs compile with C1 only: a small cluster starts faster (sizing.ts, QUICK_JIT_MAX_REPLICAS). */
  quickJit?: boolean;
  /** `__consumer_offsets` partitions; default DRILL_OFFSETS_TOPIC_PARTITIONS. */
  offsetsTopicPartitions?: number;
  /** How long to wait for the cluster to become ready. */
  startTimeoutMs?: number;
  /** Stops a start in progress (its processes torn down, the start rejects) when the drill is interrupted. */
  signal?: AbortSignal;
  /** Kafka Connect distributed workers to start beside the brokers. */
  connect?: ConnectRequest;
  /** A PostgreSQL of the environment's own (process provider only), for restored JDBC sinks. */
  postgres?: boolean;
  /** Attach the Prometheus JMX exporter's agent to every broker and Connect worker. */
  jmxExporter?: boolean;
}

export interface ConnectRequest {
  /** Worker count (default 1). */
  workers?: number;
  /** Extra directories for the workers' plugin.path (the installed-plugins cache is always on it). */
  pluginPaths?: string[];
  /** Max heap per worker JVM, in MiB. */
  heapMb?: number;
  /** Worker properties on top of kafka-drill's, e.g. offset.flush.interval.ms. */
  workerConfig?: Record<string, string>;
  /**
   * The workers must reach addresses on this host's loopback (a mirror's live source): the docker
   * provider then runs them in the host's network, reaching the brokers as the drill does.
   */
  hostNetwork?: boolean;
}

/** Running Connect workers: ready once every worker's REST API answers GET /connectors. */
export interface StartedConnect {
  /** REST URL of the first worker (any worker forwards to the leader). */
  url: string;
  workers: { pid: number; url: string; logFile: string; metricsUrl?: string }[];
  pluginPath: string[];
  startupMs: number;
}

export interface StartedBroker {
  nodeId: number;
  pid: number;
  /** The client listener, host:port on 127.0.0.1. */
  address: string;
  logFile: string;
  /** The soft open-file limit the broker was started with, where the provider set one. */
  openFilesLimit?: number;
  /** Where its data is (drill-started brokers), and why not in memory when memory was asked for. */
  storage?: { kind: BrokerStorage; fallback?: string };
  /** The JMX exporter's /metrics URL, when the request asked for the agent. */
  metricsUrl?: string;
}

/** A process of an environment that ended although nothing stopped it (a broker killed by OutOfMemoryError). */
export interface ExitedProcess {
  /** "Kafka broker 3", "Kafka Connect worker http://127.0.0.1:18083". */
  name: string;
  /** How it ended: "code 3", "signal SIGKILL". */
  exit: string;
  logFile: string;
  /** Its log's last lines, which usually say why. */
  logTail: string;
}

/** A running, isolated cluster. Only exists once every broker is registered and answers. */
export interface StartedEnvironment {
  provider: ProviderName;
  kafkaVersion: string;
  clusterId: string;
  security: SecurityMode;
  brokers: StartedBroker[];
  /** Connection for the admin super user (SASL credentials included in scram mode). */
  admin: KafkaConnection;
  /** The drill's CA and client certificates, in the TLS modes (ssl, mtls, sasl_ssl). */
  tls?: EnvironmentTls;
  /** Temporary directory holding configs, data and logs. */
  workDir: string;
  startupMs: number;
  /** Connect workers, when the request asked for them. */
  connect?: StartedConnect;
  /** The environment's PostgreSQL, when the request asked for one. */
  postgres?: DrillPostgres;
  /** ZooKeeper mode: the environment's ZooKeeper. */
  zookeeper?: { address: string; pid: number; logFile: string };
  /** The environment's processes that ended on their own; empty while all run (and after stop()). */
  exitedProcesses(): Promise<ExitedProcess[]>;
  /** Stops every process and removes temporary directories. Safe to call more than once. */
  stop(): Promise<void>;
}
