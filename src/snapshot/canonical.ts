/**
 * The canonical form of a snapshot: every collection whose order means nothing sorted by a
 * stable key, object keys sorted, 2-space indentation, a trailing newline. Two captures of
 * the same cluster are then byte-identical apart from source.capturedAt, and the digest
 * does not depend on the order Kafka happened to list things in.
 */
import { createHash } from 'node:crypto';
import { aclKey, quotaEntityLabel, type Snapshot, type SnapshotContent } from './schema.js';
import { validateSnapshot } from './validate.js';

/** Plain code-unit order: the same on every machine, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedBy<T>(items: readonly T[], ...keys: ((item: T) => string | number)[]): T[] {
  return [...items].sort((a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : compareText(String(x), String(y));
      if (order !== 0) return order;
    }
    return 0;
  });
}

const entityTypeOrder = { user: 0, 'client-id': 1, ip: 2 } as const;

/** The same snapshot with every unordered collection in canonical order (object keys are ordered on output). */
export function canonicalOrder<T extends SnapshotContent>(snapshot: T): T {
  return {
    ...snapshot,
    source: {
      ...snapshot.source,
      filters: { include: [...snapshot.source.filters.include].sort(compareText), exclude: [...snapshot.source.filters.exclude].sort(compareText) },
    },
    topics: sortedBy(snapshot.topics, (topic) => topic.name).map((topic) => ({
      ...topic,
      partitionOffsets: sortedBy(topic.partitionOffsets, (entry) => entry.partition),
    })),
    skippedTopics: sortedBy(snapshot.skippedTopics, (topic) => topic.name),
    acls: sortedBy(snapshot.acls, aclKey),
    scramUsers: sortedBy(snapshot.scramUsers, (user) => user.name).map((user) => ({
      ...user,
      credentials: sortedBy(user.credentials, (credential) => credential.mechanism),
    })),
    quotas: sortedBy(snapshot.quotas, (quota) => quotaEntityLabel(quota.entity)).map((quota) => ({
      ...quota,
      entity: sortedBy(quota.entity, (part) => entityTypeOrder[part.type]),
    })),
    consumerGroups: sortedBy(snapshot.consumerGroups, (group) => group.groupId).map((group) => ({
      ...group,
      offsets: sortedBy(
        group.offsets,
        (committed) => committed.topic,
        (committed) => committed.partition,
      ),
    })),
    ...(snapshot.streamsApplications && {
      streamsApplications: sortedBy(snapshot.streamsApplications, (application) => application.applicationId).map((application) => ({
        ...application,
        internalTopics: sortedBy(application.internalTopics, (topic) => topic.name),
      })),
    }),
    ...(snapshot.connect && {
      connect: {
        ...snapshot.connect,
        ...(snapshot.connect.internalTopics && { internalTopics: [...snapshot.connect.internalTopics].sort(compareText) }),
        connectors: sortedBy(snapshot.connect.connectors, (connector) => connector.name).map((connector) => ({
          ...connector,
          offsets: sortedBy(connector.offsets, (entry) => compactCanonicalJson(entry.partition)),
        })),
      },
    }),
  };
}

/**
 * JSON text with object keys sorted at every depth. Written by hand rather than with
 * JSON.stringify because JS objects put integer-like keys (broker ids) first regardless
 * of insertion order, so sorting the keys of an object would not survive stringify.
 */
export function canonicalJson(value: unknown): string {
  const pieces: string[] = [];
  write(value, '', '  ', (piece) => pieces.push(piece));
  pieces.push('\n');
  return pieces.join('');
}

/** The same ordering on one line, for keys and labels (e.g. a connector offset's partition). */
export function compactCanonicalJson(value: unknown): string {
  const pieces: string[] = [];
  write(value, '', '', (piece) => pieces.push(piece));
  return pieces.join('');
}

/** Writes the canonical text of `value` to `out` piece by piece, so a digest never needs the text whole. */
function write(value: unknown, indent: string, step: string, out: (piece: string) => void): void {
  const newline = step === '' ? '' : '\n';
  const colon = step === '' ? ':' : ': ';
  if (Array.isArray(value)) {
    if (value.length === 0) return out('[]');
    const inner = indent + step;
    value.forEach((item, index) => {
      out(`${index === 0 ? '[' : ','}${newline}${inner}`);
      write(item ?? null, inner, step, out);
    });
    return out(`${newline}${indent}]`);
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort(compareText);
    if (keys.length === 0) return out('{}');
    const inner = indent + step;
    keys.forEach((key, index) => {
      out(`${index === 0 ? '{' : ','}${newline}${inner}${JSON.stringify(key)}${colon}`);
      write((value as Record<string, unknown>)[key], inner, step, out);
    });
    return out(`${newline}${indent}}`);
  }
  out(JSON.stringify(value) ?? 'null');
}

/** Pieces are gathered to about this many characters before each hash update. */
const HASH_BUFFER_LENGTH = 64 * 1024;

/** `sha256:<hex>` over the canonical text of the snapshot without its digest field, hashed as it is written. */
export function computeDigest(snapshot: SnapshotContent | Snapshot): string {
  const { digest: _ignored, ...content } = snapshot as Snapshot;
  const hash = createHash('sha256');
  let pending: string[] = [];
  let length = 0;
  write(canonicalOrder(content), '', '  ', (piece) => {
    pending.push(piece);
    length += piece.length;
    if (length >= HASH_BUFFER_LENGTH) {
      hash.update(pending.join(''), 'utf8');
      pending = [];
      length = 0;
    }
  });
  hash.update(`${pending.join('')}\n`, 'utf8');
  return `sha256:${hash.digest('hex')}`;
}

/**
 * The file text of a snapshot: validated, in canonical order, with its digest.
 * A snapshot that fails the schema here is a bug in whatever built it, so this throws a plain Error.
 */
export function serializeSnapshot(content: SnapshotContent | Snapshot): string {
  const { digest: _previous, ...withoutDigest } = content as Snapshot;
  const ordered = canonicalOrder(withoutDigest);
  const snapshot = { ...ordered, digest: computeDigest(ordered) };
  const validation = validateSnapshot(snapshot);
  if (!validation.ok) {
    const problems = validation.problems.map((problem) => `${problem.path}: ${problem.message}`);
    throw new Error(`refusing to write an invalid snapshot: ${problems.join('; ')}`);
  }
  return canonicalJson(snapshot);
}
