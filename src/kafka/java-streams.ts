import { ADMIN_USER } from '../model/enums.js';
import { kafkaStreamsLibs, resolveDistribution } from '../runtime/distribution.js';
import type { KafkaConnection } from './connection.js';
import { compileRunner, javaUserOf, jobLogins, runJavaJob } from './java-client.js';

/** What StreamsRunner.java saw; partition-keyed maps use the partition number (decimal) as key. */
export interface StreamsRun {
  ok: boolean;
  clientVersion: string;
  kafkaError?: string;
  message?: string;
  /** The application reached RUNNING. */
  running?: boolean;
  processedAllPartitions?: boolean;
  /** The application's committed offsets on the input topic before it started. */
  committed?: Record<string, number>;
  inputLogStart?: Record<string, number>;
  /** First offset the topology processed, per input partition. */
  firstOffsets?: Record<string, number>;
  changelogExisted?: boolean;
  /** Records on the changelog before the start (read_committed), per partition, and their distinct (partition, key) pairs. */
  changelogRecords?: Record<string, number>;
  changelogKeys?: number;
  /** Records Streams restored into the store, per changelog partition (absent: nothing to restore). */
  restored?: Record<string, number>;
  /** Entries in the store (all its partitions' instances) once running. */
  storeEntries?: number;
  /** The marker key's count: one per input partition when every marker was counted once. */
  markerCount?: number;
  streamsMs?: number;
  /** Wall time of the one JVM, start to exit. */
  jvmMs: number;
  compileMs: number;
}

export interface StreamsApplicationJob {
  applicationId: string;
  inputTopic: string;
  /** `<applicationId>-<store>-changelog`: the store the count is materialized in. */
  changelogTopic: string;
  exactlyOnce: boolean;
  /** How long the application may run to reach every input partition. */
  runMs: number;
}

/** The store a changelog topic backs: `<applicationId>-<store>-changelog` → `<store>`. */
export function storeOfChangelog(applicationId: string, changelogTopic: string): string {
  return changelogTopic.slice(applicationId.length + 1, -'-changelog'.length);
}

/**
 * Runs one Kafka Streams application (StreamsRunner.java) in one JVM, on kafka-streams of
 * `kafkaVersion`: logged in as `user`, reading offsets and the changelog and writing markers as `admin`.
 */
export async function runStreamsApplication(
  kafkaVersion: string,
  admin: KafkaConnection,
  user: { name: string; connection: KafkaConnection },
  job: StreamsApplicationJob,
  options: { timeoutMs: number; requestTimeoutMs: number; workDir?: string | undefined; signal?: AbortSignal },
): Promise<StreamsRun> {
  const streamsLibs = await kafkaStreamsLibs(kafkaVersion);
  const { classes, compileMs } = await compileRunner(kafkaVersion, 'StreamsRunner', { uses: ['ProbeRunner'], libs: [streamsLibs] });
  const distribution = await resolveDistribution(kafkaVersion);
  const adminName = ADMIN_USER;
  const { result, jvmMs } = await runJavaJob<Omit<StreamsRun, 'jvmMs' | 'compileMs'>>(
    'StreamsRunner',
    [`${distribution.libsDir}/*`, `${streamsLibs}/*`, classes],
    (dir) => ({
      bootstrap: admin.bootstrap.join(','),
      requestTimeoutMs: options.requestTimeoutMs,
      ...jobLogins(admin, [javaUserOf(adminName, admin), javaUserOf(user.name, user.connection)]),
      adminUser: adminName,
      user: user.name,
      storeName: storeOfChangelog(job.applicationId, job.changelogTopic),
      stateDir: dir,
      ...job,
    }),
    options,
  );
  return { ...result, jvmMs, compileMs };
}
