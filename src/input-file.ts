/**
 * Reading a user's input file (a drill spec, a snapshot, and every file one of them names: a
 * truststore, a password file, a key, an evidence file) defensively: only a regular file, only
 * up to a stated size, only UTF-8 text. A FIFO would block a read forever and /dev/zero never
 * ends, so both are refused before a byte is read; a file that grows while it is read is still
 * read only up to its limit.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from './errors.js';

export interface InputFile {
  /** The file's bytes, exactly as read (for digests). */
  bytes: Buffer;
  /** The bytes as UTF-8 text, without a leading byte order mark. */
  text: string;
}

const MiB = 1024 * 1024;

/** Size limits, stated in messages and the README. */
export const inputLimits = {
  specBytes: 4 * MiB,
  snapshotBytes: 256 * MiB,
  /** A drill's result.json, read back by `report`. */
  resultBytes: 256 * MiB,
  /** A client properties file (--command-config). */
  propertiesBytes: 1 * MiB,
  /** A password file named by a credential source or connectorSecrets. */
  secretBytes: 64 * 1024,
  /** A PEM or Java key store, a truststore, a PEM key (--sign-key, --pub-key). */
  keyBytes: 1 * MiB,
  /** manifest.json of an evidence directory. */
  manifestBytes: 16 * MiB,
  /** One file an evidence manifest lists (result.json and the snapshot copy are the largest). */
  evidenceFileBytes: 256 * MiB,
} as const;

/**
 * Reads `file` (named as the user gave it in every message) as UTF-8 text; `what` says what it
 * should be. `namedIn` is where another input named the file ("spec.yaml:12: restore.x.file"),
 * put before it in every message. Throws InputError.
 */
export async function readInputFile(file: string, what: string, maxBytes: number, namedIn?: string): Promise<InputFile> {
  return readInputFileSync(file, what, maxBytes, namedIn);
}

/** readInputFile for callers that cannot wait (report rendering, the manifest). */
export function readInputFileSync(file: string, what: string, maxBytes: number, namedIn?: string): InputFile {
  const bytes = readInputBytesSync(file, what, maxBytes, namedIn);
  return { bytes, text: decodeUtf8(bytes, namedIn ? `${namedIn}: ${file}` : file, what) };
}

/** The bytes of `file`, whatever they are (a key store, an evidence file), under the same rules. Throws InputError. */
export function readInputBytesSync(file: string, what: string, maxBytes: number, namedIn?: string): Buffer {
  const pieces: Buffer[] = [];
  // Each piece is copied: the reader reuses its buffer.
  readInputChunksSync(file, what, maxBytes, (chunk) => pieces.push(Buffer.from(chunk)), namedIn);
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

/**
 * The bytes of `file` handed to `each` a piece at a time (a buffer reused between calls: use it
 * before returning): only a regular file, only up to `maxBytes`, so a large input is never held
 * whole. Returns the number of bytes read. Throws InputError.
 */
export function readInputChunksSync(file: string, what: string, maxBytes: number, each: (chunk: Buffer) => void, namedIn?: string): number {
  return withRegularFile(file, what, namedIn, (fd, size, where) => {
    if (size > maxBytes) throw new InputError(`${where}: the ${what} is ${size} bytes, over the limit of ${formatSize(maxBytes)}`);
    const buffer = Buffer.alloc(Math.min(MiB, maxBytes + 1));
    let length = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) return length;
      length += bytesRead;
      if (length > maxBytes) throw new InputError(`${where}: the ${what} grew while it was read, over the limit of ${formatSize(maxBytes)}`);
      each(buffer.subarray(0, bytesRead));
    }
  });
}

/**
 * Refuses `file` unless it is a regular file, without reading it or blocking on it: for a file
 * another program reads (a module Node imports). Throws InputError.
 */
export function requireRegularFile(file: string, what: string, namedIn?: string): void {
  withRegularFile(file, what, namedIn, () => undefined);
}

/** Opens `file` without blocking, refuses anything but a regular file, and hands its descriptor and size to `use`. */
function withRegularFile<T>(file: string, what: string, namedIn: string | undefined, use: (fd: number, size: number, where: string) => T): T {
  const where = namedIn ? `${namedIn}: ${file}` : file;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new InputError(`${where}: cannot read the ${what}: ${readFailure(error)}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new InputError(`${where}: cannot read the ${what}: ${fileKind(stats)}, not a regular file`);
    return use(fd, stats.size, where);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${where}: cannot read the ${what}: ${readFailure(error)}`);
  } finally {
    closeSync(fd);
  }
}

function decodeUtf8(bytes: Buffer, file: string, what: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Decoded again with replacement characters, only to say where the first bad byte is.
    const replaced = new TextDecoder('utf-8').decode(bytes);
    throw new InputError(`${file}: the ${what} is not UTF-8 text (an invalid byte on line ${lineAt(replaced, replaced.indexOf('\ufffd'))})`);
  }
  const nul = text.indexOf('\u0000');
  if (nul !== -1) throw new InputError(`${file}: the ${what} is not text (a NUL character on line ${lineAt(text, nul)})`);
  return text;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

function fileKind(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'a directory, not a regular file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENXIO') return 'a socket or device with nothing behind it, not a regular file';
  return (error as Error).message;
}

export function formatSize(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}
