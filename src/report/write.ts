/** Renders every report of a result and writes them, with a manifest over the whole directory. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname as machineHostname } from 'node:os';
import path from 'node:path';
import { RESULT_FILE, serializeResult, type Result } from '../drill/result.js';
import type { SecretMask } from '../drill/secrets.js';
import { InputError } from '../errors.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { buildManifest, listEvidenceFiles, MANIFEST_FILE, readSigningKey, sha256Hex } from './manifest.js';
import { renderSummary } from './summary.js';

export const REPORT_FILES = { html: 'report.html', junit: 'junit.xml', summary: 'summary.md' } as const;
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

function readInput(file: string, expectedSha256: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new InputError(`${file}: cannot read the ${what}: ${(error as Error).message}`);
  }
  const actual = sha256Hex(bytes);
  if (actual !== expectedSha256) {
    throw new InputError(`${file}: sha256 is ${actual}, but the result was produced from a ${what} with sha256 ${expectedSha256}`);
  }
  return bytes;
}

function writeAtomically(file: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

/**
 * Writes result.json, report.html, junit.xml, summary.md (and the spec and snapshot under
 * inputs/ when given), then manifest.json over every file in outDir. Everything is rendered
 * and every input checked before the first write, so bad input leaves outDir untouched.
 * Returns the paths written, manifest last.
 */
export function writeReports(unmasked: Result, outDir: string, options: WriteReportsOptions = {}): string[] {
  const result = options.secrets ? options.secrets.maskDeep(unmasked) : unmasked;
  const contents = new Map<string, string | Uint8Array>();
  contents.set(RESULT_FILE, serializeResult(result));
  contents.set(REPORT_FILES.html, renderHtml(result, { compare: options.compare ?? [] }));
  contents.set(REPORT_FILES.junit, renderJunit(result, { hostname: options.hostname ?? machineHostname() }));
  contents.set(REPORT_FILES.summary, renderSummary(result, { compare: options.compare ?? [] }));
  const inputs: [string | undefined, string, string][] = [
    [options.specFile, result.spec.sha256, 'drill spec'],
    [options.snapshotFile, result.snapshot.sha256, 'snapshot'],
  ];
  for (const [file, sha256, what] of inputs) {
    if (!file) continue;
    const target = `${INPUTS_DIR}/${path.basename(file)}`;
    if (contents.has(target)) throw new InputError(`${file}: the spec and the snapshot must have different file names`);
    contents.set(target, readInput(file, sha256, what));
  }
  const signingKey = options.signKeyFile ? readSigningKey(options.signKeyFile) : undefined;

  const written: string[] = [];
  for (const [relative, content] of contents) {
    const file = path.join(outDir, relative);
    writeAtomically(file, content);
    written.push(file);
  }
  const manifest = buildManifest(outDir, listEvidenceFiles(outDir), signingKey);
  const manifestFile = path.join(outDir, MANIFEST_FILE);
  writeAtomically(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  written.push(manifestFile);
  return written;
}
