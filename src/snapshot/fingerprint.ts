/**
 * The fingerprint of a record: sha256 over its key, value and timestamp, each framed so that
 * no two different records hash alike (a null key differs from an empty one). Capture writes
 * it for the record at each committed offset; verification recomputes it after a restore.
 *
 * Layout hashed: for key, then value, a 4-byte big-endian length (0xFFFFFFFF for null) and the
 * bytes; then the timestamp as an 8-byte big-endian signed integer (milliseconds).
 */
import { createHash } from 'node:crypto';
import type { RecordFingerprint } from './schema.js';

export interface FingerprintedRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: bigint;
}

export function recordFingerprint(record: FingerprintedRecord): RecordFingerprint {
  const hash = createHash('sha256');
  for (const bytes of [record.key, record.value]) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes === null ? 0xffffffff : bytes.length);
    hash.update(length);
    if (bytes !== null) hash.update(bytes);
  }
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigInt64BE(record.timestamp);
  hash.update(timestamp);
  return { sha256: hash.digest('hex'), timestamp: Number(record.timestamp) };
}
