import { createHash } from 'node:crypto';

/**
 * The fingerprint of one record: sha256 over its key, value and timestamp. Capture stores it
 * for the record at each committed offset; the offsets probe recomputes it on the restored
 * cluster. Both sides must call this one function, so the framing below never drifts.
 *
 * Framing (version 1), so that no two different records hash alike:
 *   "kafka-drill/record/v1\n"
 *   key:   1 byte presence (0 = null, 1 = present), 8 bytes big-endian length, the bytes
 *   value: the same
 *   timestamp: 8 bytes big-endian signed milliseconds since the epoch
 * A null key and an empty key differ; headers are not part of the fingerprint.
 */
export interface FingerprintedRecord {
  key: Uint8Array | null | undefined;
  value: Uint8Array | null | undefined;
  /** Milliseconds since the epoch; kafkajs hands it over as a string, @platformatic/kafka as a bigint. */
  timestamp: number | bigint | string;
}

const DOMAIN = Buffer.from('kafka-drill/record/v1\n');

function framed(bytes: Uint8Array | null | undefined): Buffer {
  const header = Buffer.alloc(9);
  if (bytes === null || bytes === undefined) return header;
  header.writeUInt8(1, 0);
  header.writeBigUInt64BE(BigInt(bytes.byteLength), 1);
  return Buffer.concat([header, bytes]);
}

/** The record's timestamp as a number of milliseconds (what the snapshot stores next to the hash). */
export function recordTimestamp(record: Pick<FingerprintedRecord, 'timestamp'>): number {
  return Number(BigInt(record.timestamp));
}

/** sha256 (64 lowercase hex digits) over key, value and timestamp, framed as above. */
export function recordFingerprint(record: FingerprintedRecord): string {
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigInt64BE(BigInt(record.timestamp));
  return createHash('sha256').update(DOMAIN).update(framed(record.key)).update(framed(record.value)).update(timestamp).digest('hex');
}
