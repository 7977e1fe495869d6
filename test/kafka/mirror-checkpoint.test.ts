import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/kafka/mirror-checkpoint.js';

/** Kafka protocol STRING: INT16 length, UTF-8 bytes. */
function string(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
function int(bytes: number, value: number | bigint): Buffer {
  const buffer = Buffer.alloc(bytes);
  if (bytes === 2) buffer.writeInt16BE(Number(value));
  else if (bytes === 4) buffer.writeInt32BE(Number(value));
  else buffer.writeBigInt64BE(BigInt(value));
  return buffer;
}

describe('parseCheckpoint (the drill tests read real MirrorMaker 2 checkpoints; these are the edges)', () => {
  const key = Buffer.concat([string('billing'), string('pay.orders'), int(4, 2)]);
  it('reads group, topic, partition, both offsets and the metadata of a version 0 record', () => {
    const value = Buffer.concat([int(2, 0), int(8, 9_007_199_254_740_991n), int(8, 42), string('ünï')]);
    expect(parseCheckpoint(key, value)).toEqual({
      group: 'billing',
      topic: 'pay.orders',
      partition: 2,
      upstreamOffset: 9_007_199_254_740_991,
      downstreamOffset: 42,
      metadata: 'ünï',
    });
  });
  it('skips a tombstone and a version it does not know', () => {
    expect(parseCheckpoint(key, null)).toBeUndefined();
    expect(parseCheckpoint(key, Buffer.concat([int(2, 1), int(8, 1), int(8, 1), string('')]))).toBeUndefined();
  });
  it('refuses a truncated record', () => {
    expect(() => parseCheckpoint(key, Buffer.concat([int(2, 0), int(8, 1)]))).toThrow(/truncated/);
  });
});
