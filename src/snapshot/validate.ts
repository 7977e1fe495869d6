/**
 * Checking a parsed document against the snapshot schema, with errors worded as
 * `<path>: <what>`, e.g. `topics[3].partitions: expected a whole number ≥ 1, got "3"`.
 */
import type { z } from 'zod';
import { describeValue, expectation, snapshotSchema, type Snapshot } from './schema.js';
import { formatPath } from '../errors.js';

export interface SnapshotProblem {
  /** `topics[3].partitions`; empty for the document itself. */
  path: string;
  message: string;
}

export type SnapshotValidation = { ok: true; snapshot: Snapshot } | { ok: false; problems: SnapshotProblem[] };

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
  null: 'null',
};

/** Worded messages for the issues the schema does not word itself. */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return expectation(typeNames[issue.expected] ?? issue.expected, issue.input);
    case 'invalid_value':
      return expectation(issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`, issue.input);
    case 'too_small':
      if (issue.origin === 'string') return expectation('a non-empty string', issue.input);
      if (issue.origin === 'array') return `needs at least ${issue.minimum} ${Number(issue.minimum) === 1 ? 'entry' : 'entries'}`;
      return expectation(`a number ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`, issue.input);
    case 'too_big':
      return expectation(`a number ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`, issue.input);
    case 'invalid_format':
      return `${describeValue(issue.input)} is not in the expected form (${issue.format})`;
    case 'invalid_key':
      return `key ${describeValue(issue.input)} is not allowed here`;
    default:
      return undefined;
  }
};

export function validateSnapshot(document: unknown): SnapshotValidation {
  const result = snapshotSchema.safeParse(document, { error: errorMap });
  if (result.success) return { ok: true, snapshot: result.data };
  return { ok: false, problems: result.error.issues.flatMap(problemsOf) };
}

function problemsOf(issue: z.core.$ZodIssue): SnapshotProblem[] {
  // Naming the field itself points straight at, say, a "password" sneaked into a SCRAM entry.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }));
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}
