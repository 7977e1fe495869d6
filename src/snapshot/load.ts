/** Reading and writing snapshot files. Every refusal is an InputError naming the file and the path inside it. */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { computeDigest, serializeSnapshot } from './canonical.js';
import { findJsonSyntaxProblem } from './json-syntax.js';
import { describeValue, expectation, SNAPSHOT_FORMAT, SNAPSHOT_VERSION, type Snapshot, type SnapshotContent } from './schema.js';
import { validateSnapshot } from './validate.js';

/** More problems than this are summarized: the first ones are what the reader fixes first. */
const maxProblemsShown = 10;

export async function loadSnapshot(file: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new InputError(`${file}: cannot read the snapshot: ${reason}`);
  }
  return parseSnapshot(text, file);
}

/** Parse and check a snapshot's text: JSON syntax, then format and version, then the schema, then the digest. */
export function parseSnapshot(text: string, file: string): Snapshot {
  const document = parseJson(text, file);
  checkFormatAndVersion(document, file);

  const validation = validateSnapshot(document);
  if (!validation.ok) {
    const lines = validation.problems
      .slice(0, maxProblemsShown)
      .map((problem) => (problem.path ? `${file}: ${problem.path}: ${problem.message}` : `${file}: ${problem.message}`));
    const hidden = validation.problems.length - maxProblemsShown;
    if (hidden > 0) lines.push(`${file}: … and ${hidden} more ${hidden === 1 ? 'problem' : 'problems'}`);
    throw new InputError(lines.join('\n'));
  }

  const snapshot = validation.snapshot;
  const computed = computeDigest(snapshot);
  if (computed !== snapshot.digest) {
    throw new InputError(
      `${file}: digest: does not match the content (expected ${snapshot.digest}, computed ${computed}) — the file was changed after capture`,
    );
  }
  return snapshot;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const problem = findJsonSyntaxProblem(text);
    if (!problem) throw new InputError(`${file}: not valid JSON: ${(error as Error).message}`);
    throw new InputError(`${file}: not valid JSON: ${problem.reason} at line ${problem.line} column ${problem.column}`);
  }
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
