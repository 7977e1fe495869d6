/**
 * Which restored consumer groups the offsets probes of a run are still to read, group by group:
 * so a probe that would disturb a group (join it) or a topic (write a record to it) waits only
 * for the groups it touches, not for every offsets probe to finish (`committedOffsetsRead`).
 *
 * Each offsets probe is a reader. It names the groups it will read, with their topics, before
 * its first read, and releases each group once its consumer has left it. A reader that names
 * nothing holds everything until it finishes; finishing releases whatever it still holds.
 */
export interface GroupReader {
  /** The groups this reader will read (and the topics their committed offsets name), before it reads any. */
  plan(groups: readonly { groupId: string; topics: readonly string[] }[]): void;
  /** This reader is done with the group: its consumer has left and it reads nothing more there. */
  release(groupId: string): void;
  /** The reader finished (or failed, or timed out): it holds nothing any more. */
  finish(): void;
}

interface Reader {
  finished: Promise<void>;
  planned: Promise<Map<string, { topics: ReadonlySet<string>; released: Promise<void> }>>;
}

export class RestoredReads {
  private readonly readers: Reader[] = [];

  /** A new reader; every reader must be made before any probe waits on this. */
  reader(): GroupReader {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let resolvePlan!: (plan: Map<string, { topics: ReadonlySet<string>; released: Promise<void> }>) => void;
    const planned = new Promise<Map<string, { topics: ReadonlySet<string>; released: Promise<void> }>>((resolve) => (resolvePlan = resolve));
    const releases = new Map<string, () => void>();
    this.readers.push({ finished, planned });
    return {
      plan: (groups) => {
        const plan = new Map<string, { topics: ReadonlySet<string>; released: Promise<void> }>();
        for (const { groupId, topics } of groups) {
          const known = plan.get(groupId);
          const released = known?.released ?? Promise.race([finished, new Promise<void>((resolve) => releases.set(groupId, resolve))]);
          plan.set(groupId, { topics: new Set([...(known?.topics ?? []), ...topics]), released });
        }
        resolvePlan(plan);
      },
      release: (groupId) => releases.get(groupId)?.(),
      finish: () => {
        finish();
        resolvePlan(new Map());
      },
    };
  }

  /** Settles once no reader will still read any of these groups. */
  groupsRead(groupIds: readonly string[]): Promise<void> {
    const wanted = new Set(groupIds);
    return this.until((groupId) => wanted.has(groupId));
  }

  /** Settles once no reader will still read a group whose committed offsets name any of these topics. */
  topicsRead(topics: readonly string[]): Promise<void> {
    const wanted = new Set(topics);
    return this.until((_, groupTopics) => [...groupTopics].some((topic) => wanted.has(topic)));
  }

  private async until(touches: (groupId: string, topics: ReadonlySet<string>) => boolean): Promise<void> {
    await Promise.all(
      this.readers.map((reader) =>
        Promise.race([
          reader.finished,
          reader.planned.then((plan) => Promise.all([...plan].filter(([groupId, { topics }]) => touches(groupId, topics)).map(([, { released }]) => released))),
        ]),
      ),
    );
  }
}
