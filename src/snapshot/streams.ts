/**
 * Kafka Streams internal topics. Streams names them `<application.id>-<name>-changelog` (a state
 * store's backing log) and `<application.id>-<name>-repartition`, and its consumer group id is the
 * application id. A topic is marked only when a consumer group with that id is in the snapshot:
 * the suffix alone would also match an application's own `audit-changelog` topic.
 */
export const streamsTopicKinds = ['changelog', 'repartition'] as const;
export type StreamsTopicKind = (typeof streamsTopicKinds)[number];

/** A snapshot's `streamsApplications` entry (validated by streamsApplicationSchema in schema.ts). */
export interface StreamsApplication {
  /** The application.id, which is also its consumer group id. */
  applicationId: string;
  internalTopics: { name: string; kind: StreamsTopicKind }[];
}

/**
 * The application and kind of a Streams internal topic, or undefined. Application ids and store
 * names may both contain `-`, so `a-b-store-changelog` fits applications `a` and `a-b` alike; when
 * the snapshot has both groups, the longer (more specific) id wins.
 */
export function streamsTopicOwner(topic: string, applicationIds: Iterable<string>): { applicationId: string; kind: StreamsTopicKind } | undefined {
  const kind = streamsTopicKinds.find((candidate) => topic.endsWith(`-${candidate}`));
  if (!kind) return undefined;
  let owner: string | undefined;
  for (const id of applicationIds) {
    // `<id>-` then a non-empty store or processor name, then `-<kind>`.
    if (topic.startsWith(`${id}-`) && topic.length > id.length + 1 + kind.length + 1 && (owner === undefined || id.length > owner.length)) owner = id;
  }
  return owner === undefined ? undefined : { applicationId: owner, kind };
}

/** The Streams applications the topics and consumer groups show, by application id, topics by name. */
export function findStreamsApplications(topics: Iterable<string>, groupIds: Iterable<string>): StreamsApplication[] {
  const ids = [...groupIds];
  const byApplication = new Map<string, StreamsApplication['internalTopics']>();
  for (const name of topics) {
    const owner = streamsTopicOwner(name, ids);
    if (!owner) continue;
    const list = byApplication.get(owner.applicationId) ?? [];
    list.push({ name, kind: owner.kind });
    byApplication.set(owner.applicationId, list);
  }
  return [...byApplication.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([applicationId, internalTopics]) => ({
      applicationId,
      internalTopics: internalTopics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    }));
}

/** The snapshot's marked applications; for a snapshot from before the marking, derived the same way capture does. */
export function streamsApplicationsOf(snapshot: {
  topics: { name: string }[];
  consumerGroups: { groupId: string }[];
  streamsApplications?: StreamsApplication[];
}): StreamsApplication[] {
  return (
    snapshot.streamsApplications ??
    findStreamsApplications(
      snapshot.topics.map((topic) => topic.name),
      snapshot.consumerGroups.map((group) => group.groupId),
    )
  );
}

/**
 * The application a verify difference belongs to, from its object id (`topic <name> …`,
 * `group <id>`, `group <id> offset …`), or undefined. Topic names cannot hold a space; group ids can,
 * so a group is matched by its whole id.
 */
export function streamsApplicationOfObject(object: string, applications: StreamsApplication[]): string | undefined {
  const topic = /^topic (\S+)/.exec(object)?.[1];
  for (const application of applications) {
    if (object === `group ${application.applicationId}` || object.startsWith(`group ${application.applicationId} offset `)) return application.applicationId;
    if (topic !== undefined && application.internalTopics.some((internal) => internal.name === topic)) return application.applicationId;
  }
  return undefined;
}
