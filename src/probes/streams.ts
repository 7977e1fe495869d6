/**
 * The streams probe: a real Kafka Streams application (kafka-streams of the Kafka version under
 * test, one JVM) under a restored application id, as a restored principal. Its checks are
 * streamsEvidence's; what it reads from the snapshot is the application's changelog (marked, or named in the spec).
 */
import type { StreamsProbeSpec } from '../drill-spec/schema.js';
import { runStreamsApplication } from '../kafka/java-streams.js';
import type { ProbeEvidence } from '../model/result.js';
import { streamsApplicationsOf } from '../snapshot/streams.js';
import { connectionAs } from './clients.js';
import { userName, verdictOf, type ProbeContext, type ProbeRunner, type ProbeVerdict } from './probe.js';
import { snapshotChangelogOf, streamsEvidence } from './streams-evidence.js';

/** Beyond the run itself: the JVM's start, reading the changelog, closing the application. */
const MARGIN_MS = 60_000;

export class StreamsProbe implements ProbeRunner {
  readonly type = 'streams';
  /** It joins the restored group and commits: after the offsets probes have read the restored positions. */
  readonly defersOwnWrites = true;
  readonly timeoutMs: number;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Omit<StreamsProbeSpec, 'type' | 'id' | 'name'>,
  ) {
    this.timeoutMs = spec.runSeconds * 1000 + MARGIN_MS;
  }

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const { application, principal } = this.spec;
    const marked = streamsApplicationsOf(context.snapshot).find((entry) => entry.applicationId === application);
    const changelog = this.spec.changelog ?? onlyOne(marked?.internalTopics.filter((topic) => topic.kind === 'changelog').map((topic) => topic.name));
    const internal = new Set(marked?.internalTopics.map((topic) => topic.name));
    const group = context.snapshot.consumerGroups.find((entry) => entry.groupId === application);
    const inputTopic = this.spec.inputTopic ?? onlyOne([...new Set(group?.offsets.map((offset) => offset.topic).filter((topic) => !internal.has(topic)))]);
    const problem = !group
      ? `no consumer group ${application} in the snapshot`
      : !changelog
        ? `the snapshot marks ${marked ? 'several changelogs' : 'no changelog'} of ${application}: name one in the probe (changelog)`
        : !inputTopic
          ? `cannot tell the input topic of ${application} from its offsets: name it in the probe (inputTopic)`
          : undefined;
    const resource = `application ${application}`;
    if (problem || !changelog || !inputTopic) return verdictOf([{ outcome: 'failed', resource, expected: 'an application to run', observed: problem ?? '' }]);

    const login = connectionAs(context, principal);
    if ('unavailable' in login)
      return verdictOf([{ outcome: 'skipped', principal, resource, expected: 'starts as its principal', observed: 'not checked', detail: login.unavailable }]);
    await context.committedOffsetsRead;
    const run = await runStreamsApplication(
      context.environment.kafkaVersion,
      context.connection,
      { name: userName(principal), connection: login.connection },
      { applicationId: application, inputTopic, changelogTopic: changelog, exactlyOnce: this.spec.processingGuarantee === 'exactly_once_v2', runMs: this.spec.runSeconds * 1000 },
      { timeoutMs: this.timeoutMs - 5_000, requestTimeoutMs: 30_000, workDir: context.workDir, signal: context.signal },
    );
    const evidence: ProbeEvidence[] = streamsEvidence(run, application, snapshotChangelogOf(context.snapshot, application, changelog)).map((item) => ({ principal, ...item }));
    return { ...verdictOf(evidence), processes: 1 };
  }
}

function onlyOne(names: string[] | undefined): string | undefined {
  return names?.length === 1 ? names[0] : undefined;
}
