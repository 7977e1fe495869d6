/**
 * manifest.json: the sha256 of every file in an evidence directory, optionally signed with
 * Ed25519, so an auditor can tell that nothing was changed, removed or slipped in since.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { inputLimits, readInputBytesSync, readInputFileSync } from '../input-file.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'kafka-drill/manifest';

const ManifestEntry = z.strictObject({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});

const Manifest = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(1),
  files: z.array(ManifestEntry),
  signature: z
    .strictObject({
      algorithm: z.literal('Ed25519'),
      /** sha256 of the public key's SPKI DER, to tell which key signed. */
      publicKeySha256: z.string(),
      value: z.string().min(1),
    })
    .optional(),
});

export type ManifestEntry = z.infer<typeof ManifestEntry>;
export type Manifest = z.infer<typeof Manifest>;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Every entry under dir but folders and the manifest itself, as sorted '/'-separated relative
 * paths. A link, a FIFO or a device counts too: slipped in, it is named, not skipped.
 */
export function listEvidenceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((relative) => relative !== MANIFEST_FILE)
    .sort();
}

/** The exact bytes that are signed: the manifest without its signature, in a fixed key order. */
function signedBytes(manifest: Manifest): Buffer {
  const files = manifest.files.map(({ path: file, sha256, bytes }) => ({ path: file, sha256, bytes }));
  return Buffer.from(JSON.stringify({ format: manifest.format, version: manifest.version, files }));
}

function publicKeySha256(key: KeyObject): string {
  return sha256Hex(key.export({ type: 'spki', format: 'der' }));
}

function readKey(file: string, kind: 'private' | 'public'): KeyObject {
  const pem = readInputFileSync(file, `${kind} key`, inputLimits.keyBytes).text;
  let key: KeyObject;
  try {
    key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch {
    throw new InputError(`${file}: not a PEM ${kind} key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new InputError(`${file}: expected an Ed25519 ${kind} key, got ${key.asymmetricKeyType ?? 'an unknown key type'}`);
  }
  return key;
}

/** Reads a PEM Ed25519 private key for signing; InputError when it is missing or of another kind. */
export function readSigningKey(file: string): KeyObject {
  return readKey(file, 'private');
}

/** The bytes of a file an evidence directory holds, refused (InputError) unless it is a regular file within the limit. */
function readEvidenceFile(dir: string, file: string): Buffer {
  return readInputBytesSync(path.join(dir, file), 'evidence file', inputLimits.evidenceFileBytes);
}

/** A file's sha256 and size, as the manifest lists it. */
export type FileDigest = Omit<ManifestEntry, 'path'>;

/**
 * Hashes the given files (relative to dir) and, with a key, signs the manifest. A file in
 * `written` is listed with that digest (hashed as it was written), any other is read from dir.
 */
export function buildManifest(dir: string, files: string[], signingKey?: KeyObject, written: ReadonlyMap<string, FileDigest> = new Map()): Manifest {
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    files: [...files].sort().map((file) => {
      const digest = written.get(file);
      if (digest) return { path: file, ...digest };
      const bytes = readEvidenceFile(dir, file);
      return { path: file, sha256: sha256Hex(bytes), bytes: bytes.length };
    }),
  };
  if (signingKey) {
    manifest.signature = {
      algorithm: 'Ed25519',
      publicKeySha256: publicKeySha256(createPublicKey(signingKey)),
      value: sign(null, signedBytes(manifest), signingKey).toString('base64'),
    };
  }
  return manifest;
}

export interface EvidenceCheck {
  ok: boolean;
  /** Listed, present, but with different bytes. */
  changed: string[];
  /** Listed, not present. */
  missing: string[];
  /** Present, not listed. */
  unlisted: string[];
  signature: 'valid' | 'invalid' | 'absent' | 'not-checked';
  /** One line per problem, naming the file. */
  problems: string[];
}

function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new InputError(`${file}: not found; is ${dir} an evidence directory?`);
  const { text } = readInputFileSync(file, 'manifest', inputLimits.manifestBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: (root): not valid JSON: ${(error as Error).message}`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const entry of parsed.data.files) {
    const normalized = path.posix.normalize(entry.path);
    if (path.posix.isAbsolute(entry.path) || normalized === '.' || normalized === '..' || normalized.startsWith('../') || normalized !== entry.path) {
      throw new InputError(`${file}: files: ${JSON.stringify(entry.path)} is not a plain path inside the directory`);
    }
  }
  return parsed.data;
}

/**
 * Checks an evidence directory against its manifest. With a public key file the manifest must
 * carry a valid signature by that key; without one the signature is reported as not checked.
 * Bad input (no manifest, unreadable key) throws InputError; tampering is reported, not thrown.
 */
export function verifyEvidence(dir: string, publicKeyFile?: string): EvidenceCheck {
  const manifest = readManifest(dir);
  const publicKey = publicKeyFile ? readKey(publicKeyFile, 'public') : undefined;
  const check: EvidenceCheck = { ok: true, changed: [], missing: [], unlisted: [], signature: 'not-checked', problems: [] };

  const listed = new Set(manifest.files.map((entry) => entry.path));
  for (const entry of manifest.files) {
    const file = path.join(dir, entry.path);
    if (!existsSync(file)) {
      check.missing.push(entry.path);
      check.problems.push(`${entry.path}: missing`);
      continue;
    }
    const actual = sha256Hex(readEvidenceFile(dir, entry.path));
    if (actual !== entry.sha256) {
      check.changed.push(entry.path);
      check.problems.push(`${entry.path}: changed (sha256 ${actual}, manifest says ${entry.sha256})`);
    }
  }
  for (const file of listEvidenceFiles(dir)) {
    if (!listed.has(file)) {
      check.unlisted.push(file);
      check.problems.push(`${file}: not in the manifest`);
    }
  }

  if (!manifest.signature) {
    check.signature = 'absent';
    if (publicKey) check.problems.push(`${MANIFEST_FILE}: not signed, but a public key was given`);
  } else if (publicKey) {
    let valid = false;
    try {
      valid = verify(null, signedBytes(manifest), publicKey, Buffer.from(manifest.signature.value, 'base64'));
    } catch {
      valid = false;
    }
    check.signature = valid ? 'valid' : 'invalid';
    if (!valid) {
      const which = manifest.signature.publicKeySha256 === publicKeySha256(publicKey) ? 'the manifest was altered' : 'it was signed by another key';
      check.problems.push(`${MANIFEST_FILE}: signature does not verify with ${publicKeyFile} (${which})`);
    }
  }
  check.ok = check.problems.length === 0;
  return check;
}
