/** Reading and writing snapshot files. Every refusal is an InputError naming the file and the path inside it. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatPath, InputError } from '../errors.js';
import { inputLimits, readInputFile } from '../input-file.js';
import { computeDigest, serializeSnapshot } from './canonical.js';
import { findJsonSyntaxProblem } from './json-syntax.js';
import { kafkaRuleViolations } from './kafka-rules.js';
import { describeValue, expectation, SNAPSHOT_FORMAT, SNAPSHOT_VERSION, type Snapshot, type SnapshotContent } from './schema.js';
import { validateSnapshot, type SnapshotProblem } from './validate.js';

/** More problems than this are summarized: the first ones are what the reader fixes first. */
const maxProblemsShown = 10;

/** Reads (a regular file, up to the snapshot size limit) and checks a snapshot. Throws InputError. */
export async function loadSnapshot(file: string): Promise<Snapshot> {
  const { text } = await readInputFile(file, 'snapshot', inputLimits.snapshotBytes);
  return parseSnapshot(text, file);
}

/** Parse and check a snapshot's text: JSON syntax, then format and version, then the schema, then Kafka's rules, then the digest. */
export function parseSnapshot(text: string, file: string): Snapshot {
  const document = parseJson(text, file);
  checkFormatAndVersion(document, file);

  const validation = validateSnapshot(document);
  if (!validation.ok) throw problemsError(file, validation.problems);
  const snapshot = validation.snapshot;
  const violations = kafkaRuleViolations(snapshot);
  if (violations.length > 0) throw problemsError(file, violations);

  const computed = computeDigest(snapshot);
  if (computed !== snapshot.digest) {
    throw new InputError(`${file}: digest: does not match the content (expected ${snapshot.digest}, computed ${computed}) — the file was changed after capture`);
  }
  return snapshot;
}

function problemsError(file: string, problems: SnapshotProblem[]): InputError {
  const lines = problems.slice(0, maxProblemsShown).map((problem) => (problem.path ? `${file}: ${problem.path}: ${problem.message}` : `${file}: ${problem.message}`));
  const hidden = problems.length - maxProblemsShown;
  if (hidden > 0) lines.push(`${file}: … and ${hidden} more ${hidden === 1 ? 'problem' : 'problems'}`);
  return new InputError(lines.join('\n'));
}

/** The scan comes first: it also refuses duplicate keys (JSON.parse keeps the last) and nesting deep enough to overflow a walk. */
function parseJson(text: string, file: string): unknown {
  const problem = findJsonSyntaxProblem(text);
  if (problem?.kind === 'syntax') throw new InputError(`${file}: not valid JSON: ${problem.reason} at line ${problem.line} column ${problem.column}`);
  // Too deep: the line and column say where; the path would be as long as the nesting.
  if (problem?.kind === 'too-deep') throw new InputError(`${file}: ${problem.reason} at line ${problem.line} column ${problem.column}`);
  if (problem) {
    const path = formatPath(problem.path);
    throw new InputError(`${file}: ${path ? `${path}: ` : ''}${problem.reason} (line ${problem.line} column ${problem.column})`);
  }
  return JSON.parse(text);
}

// Checked before the schema so that a newer file says "unknown version", not a list of field errors.
function checkFormatAndVersion(document: unknown, file: string): void {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new InputError(`${file}: expected a JSON object (a kafka-drill snapshot), got ${describeValue(document)}`);
  }
  const { format, version } = document as Record<string, unknown>;
  if (format !== SNAPSHOT_FORMAT) {
    throw new InputError(`${file}: format: ${expectation(JSON.stringify(SNAPSHOT_FORMAT), format)} — not a kafka-drill snapshot`);
  }
  if (version !== SNAPSHOT_VERSION) {
    throw new InputError(
      Number.isInteger(version)
        ? `${file}: version: unknown snapshot format version ${version} (this kafka-drill reads version ${SNAPSHOT_VERSION})`
        : `${file}: version: ${expectation(String(SNAPSHOT_VERSION), version)}`,
    );
  }
}

/**
 * Write a snapshot in canonical form with a fresh digest. Written to a temporary file in the
 * same directory and renamed into place, so a reader never sees half a snapshot.
 * Returns the digest written.
 */
export async function writeSnapshot(file: string, snapshot: SnapshotContent | Snapshot): Promise<string> {
  const text = serializeSnapshot(snapshot);
  await mkdir(dirname(file), { recursive: true });
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return (JSON.parse(text) as Snapshot).digest;
}
