/** Renders every report of a result and writes them, with a manifest over the whole directory. */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname as machineHostname } from 'node:os';
import path from 'node:path';
import { RESULT_FILE, resultJsonChunks, type Result } from '../model/result.js';
import type { SecretMask } from '../drill/secrets.js';
import { InputError } from '../errors.js';
import { inputLimits, readInputChunksSync } from '../input-file.js';
import { renderJunit } from './junit.js';
import { buildManifest, listEvidenceFiles, MANIFEST_FILE, readSigningKey, type FileDigest } from './manifest.js';
import { renderSummary } from './summary.js';

export const REPORT_FILES = { html: 'report.html', junit: 'junit.xml', summary: 'summary.md', metrics: 'metrics.prom' } as const;
export const INPUTS_DIR = 'inputs';

export interface WriteReportsOptions {
  /** The drill spec the result was produced from; copied into inputs/ after checking its sha256. */
  specFile?: string;
  /** The snapshot the result was produced from; copied into inputs/ after checking its sha256. */
  snapshotFile?: string;
  /** PEM Ed25519 private key to sign manifest.json with. */
  signKeyFile?: string;
  /** Earlier results of the same drill, for the trend in report.html and summary.md. */
  compare?: Result[];
  /** For junit.xml; defaults to this machine's name. */
  hostname?: string;
  /** Credentials the drill handled: masked in everything rendered (the drill masks its result too). */
  secrets?: SecretMask;
}

/**
 * A copy of an input the result was produced from, checked against its sha256 now (before anything
 * is written) and again as it is copied, piece by piece: a snapshot is never held whole here.
 */
function checkedInput(file: string, expectedSha256: string, what: 'drill spec' | 'snapshot'): FileContent {
  const read = (each: (chunk: Buffer) => void) => {
    const hash = createHash('sha256');
    readInputChunksSync(file, what, what === 'snapshot' ? inputLimits.snapshotBytes : inputLimits.specBytes, (chunk) => {
      hash.update(chunk);
      each(chunk);
    });
    const actual = hash.digest('hex');
    if (actual !== expectedSha256) {
      throw new InputError(`${file}: sha256 is ${actual}, but the result was produced from a ${what} with sha256 ${expectedSha256}`);
    }
  };
  read(() => {});
  return { copy: read };
}

type Stats = ReturnType<typeof statSync>;
/** The file's stats, or undefined when nothing is there (or a file sits where a folder on its way should be). */
function statOf(file: string): Stats | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}
const kindOf = (stats: NonNullable<Stats>) => (stats.isDirectory() ? 'a folder' : stats.isFile() ? 'a file' : 'a special file');

/**
 * Refuses (InputError naming the path) an output folder that cannot take the reports: it is a
 * file, it sits under a file, or a report file's name is taken by a folder. Writes nothing.
 * `relatives` are the files to be written inside it ('/'-separated).
 */
export function checkOutDir(outDir: string, relatives: readonly string[] = [...Object.values(REPORT_FILES), RESULT_FILE, MANIFEST_FILE]): void {
  const existing = statOf(outDir);
  if (existing && !existing.isDirectory()) throw new InputError(`${outDir}: the output folder is ${kindOf(existing)}, not a folder`);
  if (!existing) {
    // The nearest ancestor that exists must be a folder, or the output folder cannot be made.
    for (let ancestor = path.dirname(path.resolve(outDir)); ; ancestor = path.dirname(ancestor)) {
      const stats = statOf(ancestor);
      if (stats && !stats.isDirectory()) throw new InputError(`${outDir}: cannot make the output folder: ${ancestor} is ${kindOf(stats)}, not a folder`);
      if (stats || ancestor === path.dirname(ancestor)) return;
    }
  }
  for (const relative of relatives) {
    const parts = relative.split('/');
    for (let depth = 1; depth <= parts.length; depth++) {
      const target = path.join(outDir, ...parts.slice(0, depth));
      const stats = statOf(target);
      if (!stats) break;
      const wanted = depth === parts.length ? 'file' : 'folder';
      if (wanted === 'file' ? !stats.isFile() : !stats.isDirectory()) {
        throw new InputError(`${target}: is ${kindOf(stats)}; kafka-drill writes a ${wanted} there (${relative}): move it or choose another --out`);
      }
    }
  }
}

/**
 * What a file of the evidence holds: text, bytes, text in pieces (result.json, report.html) or a
 * copy that hands its bytes over piece by piece (the inputs), written as they come, never whole.
 */
export type FileContent = string | Uint8Array | { chunks: Iterable<string> } | { copy: (write: (bytes: Uint8Array) => void) => void };

/** Pieces are encoded into one buffer of this size, reused for every file, and written when it is full. */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * Writes every file to a temporary file beside it, hashing it as it is written, then the
 * manifest (`manifestOf` those hashes), then renames each into place only when all were written:
 * a failure leaves no report file half-written and no temporary file behind.
 */
function writeAllAtomically(outDir: string, contents: ReadonlyMap<string, FileContent>, manifestOf: (written: ReadonlyMap<string, FileDigest>) => string): string[] {
  const staged: { temporary: string; file: string }[] = [];
  const written = new Map<string, FileDigest>();
  // Text pieces are encoded straight into it: no joined string, no buffer per piece.
  const buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
  const encoder = new TextEncoder();
  const stage = (relative: string, content: FileContent) => {
    const file = path.join(outDir, relative);
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    const failed = (error: unknown) => new InputError(`${file}: cannot write it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    let fd: number;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      staged.push({ temporary, file });
      fd = openSync(temporary, 'w');
    } catch (error) {
      throw failed(error);
    }
    const hash = createHash('sha256');
    let bytes = 0;
    let buffered = 0;
    const writeBytes = (data: Uint8Array) => {
      hash.update(data);
      bytes += data.length;
      try {
        writeFileSync(fd, data);
      } catch (error) {
        throw failed(error);
      }
    };
    const flush = () => {
      if (buffered > 0) writeBytes(buffer.subarray(0, buffered));
      buffered = 0;
    };
    const write = (data: string | Uint8Array) => {
      if (typeof data !== 'string') {
        flush();
        writeBytes(data);
        return;
      }
      // Encoded into the buffer as far as it fits (never half a character), the rest after a flush:
      // a piece of megabytes gets no buffer of its own.
      let rest = data;
      for (;;) {
        const { read, written } = encoder.encodeInto(rest, buffer.subarray(buffered));
        buffered += written;
        if (read === rest.length) return;
        flush();
        rest = rest.slice(read);
      }
    };
    try {
      if (typeof content === 'string' || content instanceof Uint8Array) write(content);
      else if ('copy' in content) content.copy(write);
      else for (const chunk of content.chunks) write(chunk);
      flush();
    } finally {
      closeSync(fd);
    }
    written.set(relative, { sha256: hash.digest('hex'), bytes });
  };
  try {
    for (const [relative, content] of contents) stage(relative, content);
    stage(MANIFEST_FILE, manifestOf(written));
  } catch (error) {
    for (const { temporary } of staged) rmSync(temporary, { force: true });
    throw error;
  }
  for (const { temporary, file } of staged) renameSync(temporary, file);
  return staged.map(({ file }) => file);
}

/**
 * Writes result.json, report.html, junit.xml, summary.md, metrics.prom (and the spec and snapshot under
 * inputs/ when given), then manifest.json over every file in outDir. Every input and the output
 * folder are checked before the first write, so bad input leaves outDir untouched; result.json and
 * report.html are rendered as they are written; a failure there removes every temporary file and
 * leaves no report file.
 * Returns the paths written, manifest last.
 */
export async function writeReports(unmasked: Result, outDir: string, options: WriteReportsOptions = {}): Promise<string[]> {
  const result = options.secrets ? options.secrets.maskDeep(unmasked) : unmasked;
  // Loaded when reports are first written, not with the CLI: a drill (the first of a run, at
  // least) does not carry Handlebars and prom-client (~6 MB of heap and their code) through its
  // probes, where its memory peaks.
  const [{ renderHtmlPieces }, { renderMetrics }] = await Promise.all([import('./html.js'), import('./metrics.js')]);
  const contents = new Map<string, FileContent>();
  contents.set(RESULT_FILE, { chunks: resultJsonChunks(result) });
  contents.set(REPORT_FILES.html, { chunks: renderHtmlPieces(result, { compare: options.compare ?? [] }) });
  contents.set(REPORT_FILES.junit, renderJunit(result, { hostname: options.hostname ?? machineHostname() }));
  contents.set(REPORT_FILES.summary, renderSummary(result, { compare: options.compare ?? [] }));
  contents.set(REPORT_FILES.metrics, await renderMetrics(result));
  const inputs: [string | undefined, string, 'drill spec' | 'snapshot'][] = [
    [options.specFile, result.spec.sha256, 'drill spec'],
    [options.snapshotFile, result.snapshot.sha256, 'snapshot'],
  ];
  for (const [file, sha256, what] of inputs) {
    if (!file) continue;
    const target = `${INPUTS_DIR}/${path.basename(file)}`;
    if (contents.has(target)) throw new InputError(`${file}: the spec and the snapshot must have different file names`);
    contents.set(target, checkedInput(file, sha256, what));
  }
  const signingKey = options.signKeyFile ? readSigningKey(options.signKeyFile) : undefined;

  checkOutDir(outDir, [...contents.keys(), MANIFEST_FILE]);
  // The manifest covers every file the folder will hold: those already there and those about to be written.
  const files = new Set([...(existsSync(outDir) ? listEvidenceFiles(outDir) : []), ...contents.keys()]);
  return writeAllAtomically(outDir, contents, (written) => JSON.stringify(buildManifest(outDir, [...files], signingKey, written), null, 2) + '\n');
}
