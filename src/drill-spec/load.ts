import { createHash } from 'node:crypto';
import path from 'node:path';
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import * as z from 'zod';
import { InputError } from '../errors.js';
import { inputLimits, readInputFile } from '../input-file.js';
import { drillSpecSchema, type DrillSpec } from './schema.js';

export type SpecPath = readonly PropertyKey[];

export interface LoadedSpec {
  spec: DrillSpec;
  /** The spec file as the user named it; used in messages. */
  file: string;
  /** Absolute directory of the spec file: relative paths inside the spec start here. */
  dir: string;
  /** sha256 (hex) of the spec file's bytes, for the evidence manifest. */
  sha256: string;
  /** Absolute path of the snapshot the spec names; absent when it names a live `source` instead. */
  snapshotPath?: string;
  /** The snapshot as messages name it: relative to the working directory, or absolute as the spec wrote it. */
  snapshotFile?: string;
  /** Absolute path of the spec's `out`, when it has one. */
  outPath?: string;
  /** The line (1-based) of a path inside the spec, or of its nearest ancestor that has one. */
  lineOf: (specPath: SpecPath) => number | undefined;
}

/** Reads, parses and validates a drill spec (YAML, or JSON by extension or content). Throws InputError. */
export async function loadSpec(file: string): Promise<LoadedSpec> {
  const { bytes, text } = await readInputFile(file, 'drill spec', inputLimits.specBytes);
  const { spec, lineOf } = parseSpecText(text, file);
  const dir = path.dirname(path.resolve(file));
  return {
    spec,
    file,
    dir,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...(spec.snapshot !== undefined
      ? {
          snapshotPath: path.resolve(dir, spec.snapshot),
          snapshotFile: path.isAbsolute(spec.snapshot) ? spec.snapshot : path.relative(process.cwd(), path.resolve(dir, spec.snapshot)),
        }
      : {}),
    ...(spec.out !== undefined ? { outPath: path.resolve(dir, spec.out) } : {}),
    lineOf,
  };
}

/** Deeper than any drill spec needs, far shallower than a stack overflow in whatever walks it. */
const maxSpecDepth = 64;

/** Parses and validates spec text; `file` names it in messages and supplies the default drill name. */
export function parseSpecText(text: string, file: string): { spec: DrillSpec; lineOf: LoadedSpec['lineOf'] } {
  const lineCounter = new LineCounter();
  // JSON is parsed as YAML too: it is (near enough) a subset, and only the YAML parser keeps node positions.
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  const syntaxError = document.errors[0];
  if (syntaxError) {
    const line = syntaxError.linePos?.[0].line;
    const message = syntaxError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    // The parser turns its own stack overflow into an error; say what caused it.
    if (/call stack/i.test(message)) throw new InputError(`${where(file, line)}: nested too deeply (a drill spec needs at most ${maxSpecDepth} levels)`);
    throw new InputError(`${where(file, line)}: ${isJson(file, text) ? 'JSON' : 'YAML'} syntax error: ${message}`);
  }
  if (document.contents === null) throw new InputError(`${file}: is empty (a drill spec needs at least "snapshot")`);
  const lineOf = (specPath: SpecPath) => lineOfPath(document, lineCounter, specPath);
  const tooDeep = firstNodeDeeperThan(document, maxSpecDepth);
  if (tooDeep) {
    const line = tooDeep.range ? lineCounter.linePos(tooDeep.range[0]).line : undefined;
    throw new InputError(`${where(file, line)}: nested more than ${maxSpecDepth} levels deep`);
  }

  let plain: unknown;
  try {
    // yaml counts alias expansions against the document's size: an alias bomb stops here.
    plain = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new InputError(`${file}: YAML aliases expand to far more than the file holds (an alias bomb): refused`);
    }
    throw error;
  }
  const result = drillSpecSchema.safeParse(plain, { error: issueMessage });
  if (!result.success) {
    const problems = result.error.issues
      .flatMap(splitUnknownKeys)
      .map((problem) => ({ ...problem, line: lineOf(problem.path) }))
      // Issues without a line are about the whole file (a missing top-level key): list them first.
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new InputError(problems.map((problem) => formatSpecProblem(file, problem.line, problem.reportPath, problem.message)).join('\n'));
  }
  const { $schema: _editorSchema, name, ...rest } = result.data;
  const spec: DrillSpec = { name: name ?? defaultDrillName(file), ...rest };
  const nameRefusal = drillNameRefusal(spec.name);
  if (nameRefusal) throw new InputError(formatSpecProblem(file, lineOf(['name']), ['name'], nameRefusal));
  return { spec, lineOf };
}

/**
 * A drill's name becomes a folder of the output (reports/<name>/, --out DIR/<name>/), so it must
 * be one plain folder name: a name like "../../x" would write outside the output folder.
 */
export function drillNameRefusal(name: string): string | undefined {
  const shown = JSON.stringify(name);
  if (name === '.' || name === '..') return `${shown} cannot be a drill name: it names a folder of the output`;
  if (/[/\\]/.test(name)) return `${shown} cannot be a drill name: it names a folder of the output, so it must not contain "/" or "\\"`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${shown} cannot be a drill name: it contains a control character`;
  if (name.length > 200) return `a drill name has at most 200 characters (this one has ${name.length})`;
  return undefined;
}

/** The first collection nested deeper than `maxDepth`, found without recursion; aliases are not followed. */
function firstNodeDeeperThan(document: Document, maxDepth: number): Node | undefined {
  const pending: { node: unknown; depth: number }[] = [{ node: document.contents, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, depth } = next;
    if (!isCollection(node)) continue;
    if (depth > maxDepth) return node;
    for (const item of node.items) {
      if (isPair(item)) pending.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
      else pending.push({ node: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** `<file>:<line>: <path>: <message>`, leaving out the line or path when there is none. */
export function formatSpecProblem(file: string, line: number | undefined, specPath: SpecPath, message: string): string {
  const shown = formatSpecPath(specPath);
  return `${where(file, line)}: ${shown ? `${shown}: ` : ''}${message}`;
}

/** probes[2].expect[0].principal, restore.credentials["User:alice"] */
export function formatSpecPath(specPath: SpecPath): string {
  return specPath
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = String(segment);
      if (/^[A-Za-z_$][\w$-]*$/.test(key)) return index === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

function where(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file}:${line}`;
}

function isJson(file: string, text: string): boolean {
  return path.extname(file).toLowerCase() === '.json' || /^\s*[{[]/.test(text);
}

function defaultDrillName(file: string): string {
  return path.basename(file).replace(/\.(ya?ml|json)$/i, '');
}

/** Zod reports all unknown keys of an object as one issue at the object; we report each at its own key's line. */
function splitUnknownKeys(issue: z.core.$ZodIssue): { path: SpecPath; reportPath: SpecPath; message: string }[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], reportPath: issue.path, message: `unknown key "${key}"` }));
  }
  return [{ path: issue.path, reportPath: issue.path, message: issue.message }];
}

/** Walks the YAML tree along a zod path; a map entry's line is its key's line. */
function lineOfPath(document: Document, lineCounter: LineCounter, specPath: SpecPath): number | undefined {
  let node: unknown = document.contents;
  let line: number | undefined;
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  for (const segment of specPath) {
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === String(segment));
      if (!pair) break;
      line = lineAt((pair.key as Node | null)?.range?.[0]) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      line = lineAt(item.range?.[0]) ?? line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}

/** Messages for zod's built-in checks; messages written in the schema take precedence. */
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      const expected = issue.expected === 'int' ? 'integer' : issue.expected;
      return `expected ${expected}, got ${typeName(issue.input)}`;
    }
    case 'invalid_value':
      return `expected ${alternatives(issue.values)}, got ${JSON.stringify(issue.input)}`;
    case 'invalid_union': {
      const options = 'options' in issue ? (issue.options as unknown[] | undefined) : undefined;
      if (issue.discriminator === undefined || !options) return 'does not match any allowed form';
      const value = (issue.input as Record<string, unknown> | null)?.[issue.discriminator];
      const allowed = alternatives(options);
      return value === undefined ? `required: ${allowed}` : `expected ${allowed}, got ${JSON.stringify(value)}`;
    }
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return 'must not be empty';
      if (issue.origin === 'array' || issue.origin === 'set') return `expected at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${JSON.stringify(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'set') return `expected at most ${issue.maximum} items`;
      if (issue.origin === 'string') return `expected at most ${issue.maximum} characters`;
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${JSON.stringify(issue.input)}`;
    default:
      return undefined;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isInteger(value)) return `number ${value}`;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${JSON.stringify(value)}`;
  return typeof value;
}

function alternatives(values: readonly unknown[]): string {
  const shown = values.map((value) => JSON.stringify(value));
  if (shown.length === 1) return shown[0]!;
  if (shown.length === 2) return `${shown[0]} or ${shown[1]}`;
  return `one of ${shown.join(', ')}`;
}
