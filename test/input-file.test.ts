import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { readInputBytesSync, readInputChunksSync, readInputFile, requireRegularFile } from '../src/input-file.js';
import { tempDir } from './support/temp.js';

const refusal = (file: string, maxBytes = 1024) =>
  readInputFile(file, 'drill spec', maxBytes).then(
    () => 'read',
    (error: unknown) => (error instanceof InputError ? error.message : `not an InputError: ${String(error)}`),
  );

describe('readInputFile', () => {
  const dir = tempDir('input-file');

  it('reads a regular file: its bytes as they are, its text without a byte order mark', async () => {
    const file = path.join(dir, 'bom.yaml');
    writeFileSync(file, Buffer.from('\ufeffname: é\n'));
    const { bytes, text } = await readInputFile(file, 'drill spec', 1024);
    expect(text).toBe('name: é\n');
    expect(bytes.length).toBe(12);
  });

  it('reads a file of exactly the limit and refuses one byte more, before reading it', async () => {
    const file = path.join(dir, 'limit.yaml');
    writeFileSync(file, 'x'.repeat(1024));
    expect((await readInputFile(file, 'drill spec', 1024)).text).toHaveLength(1024);
    appendFileSync(file, 'x');
    expect(await refusal(file)).toBe(`${file}: the drill spec is 1025 bytes, over the limit of 1024 bytes`);
  });

  it('refuses what is not a regular file without blocking: a FIFO with no writer, a device, a folder', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await refusal(fifo)).toBe(`${fifo}: cannot read the drill spec: a FIFO (named pipe), not a regular file`);
    expect(await refusal('/dev/zero')).toBe('/dev/zero: cannot read the drill spec: a character device, not a regular file');
    expect(await refusal(dir)).toBe(`${dir}: cannot read the drill spec: a directory, not a regular file`);
    expect(await refusal(path.join(dir, 'missing'))).toBe(`${path.join(dir, 'missing')}: cannot read the drill spec: no such file`);
  });

  it('refuses bytes that are not UTF-8 text, and NUL characters, naming the line', async () => {
    const binary = path.join(dir, 'binary');
    writeFileSync(binary, Buffer.concat([Buffer.from('a: 1\nb: '), Buffer.from([0xc3, 0x28])]));
    expect(await refusal(binary)).toBe(`${binary}: the drill spec is not UTF-8 text (an invalid byte on line 2)`);
    const nul = path.join(dir, 'nul');
    writeFileSync(nul, 'a: 1\n\nb: \u0000\n');
    expect(await refusal(nul)).toBe(`${nul}: the drill spec is not text (a NUL character on line 3)`);
  });

  it('names the input that named the file before it, and reads bytes that are not text when asked for bytes', () => {
    const fifo = path.join(dir, 'named-fifo');
    execFileSync('mkfifo', [fifo]);
    const namedIn = 'client.properties: ssl.truststore.location';
    const refused = (read: () => unknown) => {
      try {
        read();
        return 'read';
      } catch (error) {
        return error instanceof InputError ? error.message : `not an InputError: ${String(error)}`;
      }
    };
    expect(refused(() => readInputBytesSync(fifo, 'JKS truststore', 1024, namedIn))).toBe(
      `${namedIn}: ${fifo}: cannot read the JKS truststore: a FIFO (named pipe), not a regular file`,
    );
    expect(refused(() => readInputBytesSync('/dev/zero', 'JKS truststore', 1024, namedIn))).toBe(
      `${namedIn}: /dev/zero: cannot read the JKS truststore: a character device, not a regular file`,
    );
    const binary = path.join(dir, 'store.jks');
    writeFileSync(binary, Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0x00, 0xff]));
    expect([...readInputBytesSync(binary, 'JKS truststore', 1024)]).toEqual([0xfe, 0xed, 0xfe, 0xed, 0x00, 0xff]);
    expect(refused(() => readInputBytesSync(binary, 'JKS truststore', 5))).toBe(`${binary}: the JKS truststore is 6 bytes, over the limit of 5 bytes`);
    expect(refused(() => requireRegularFile(binary, 'automation command'))).toBe('read');
    expect(refused(() => requireRegularFile(fifo, 'automation command', namedIn))).toBe(
      `${namedIn}: ${fifo}: cannot read the automation command: a FIFO (named pipe), not a regular file`,
    );
  });

  it('hands a large file over in pieces of at most 1 MiB that make up its bytes, under the same refusals', () => {
    const file = path.join(dir, 'large.json');
    const bytes = Buffer.alloc(2.5 * 1024 * 1024 + 7);
    for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 31) % 251;
    writeFileSync(file, bytes);
    const pieces: Buffer[] = [];
    const read = readInputChunksSync(file, 'snapshot', bytes.length, (chunk) => pieces.push(Buffer.from(chunk)));
    expect(read).toBe(bytes.length);
    expect(pieces.map((piece) => piece.length)).toEqual([1048576, 1048576, 524295]);
    expect(Buffer.concat(pieces).equals(bytes)).toBe(true);
    const refused = (target: string, maxBytes: number) => {
      try {
        readInputChunksSync(target, 'snapshot', maxBytes, () => {});
        return 'read';
      } catch (error) {
        return error instanceof InputError ? error.message : `not an InputError: ${String(error)}`;
      }
    };
    expect(refused(file, bytes.length - 1)).toBe(`${file}: the snapshot is ${bytes.length} bytes, over the limit of ${bytes.length - 1} bytes`);
    const fifo = path.join(dir, 'chunks-fifo');
    execFileSync('mkfifo', [fifo]);
    expect(refused(fifo, 1024)).toBe(`${fifo}: cannot read the snapshot: a FIFO (named pipe), not a regular file`);
    expect(refused('/dev/zero', 1024)).toBe('/dev/zero: cannot read the snapshot: a character device, not a regular file');
  });
});
