import { lz4Compress, snappyCompress } from '@platformatic/wasm-utils';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decompressSnappy, decompressZstd, registerCompressionCodecs } from '../../src/kafka/codecs.js';

// A zstd frame of "kafka-drill zstd\n", made with the zstd command-line tool (level 3).
const ZSTD_FRAME = Buffer.from('KLUv/QRYiQAAa2Fma2EtZHJpbGwgenN0ZApp+FZF', 'base64');

describe('compression codecs', () => {
  it("snappy: a raw block and xerial framing (how Kafka's Java clients and brokers write it) decode alike", () => {
    const first = Buffer.from('first block '.repeat(20));
    const second = Buffer.from('second block '.repeat(20));
    const blocks = [first, second].map((data) => Buffer.from(snappyCompress(data)));
    const header = Buffer.concat([Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]), Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
    const framed = Buffer.concat([header, ...blocks.flatMap((block) => [lengthOf(block), block])]);
    expect(decompressSnappy(blocks[0]!).toString()).toBe(first.toString());
    expect(decompressSnappy(framed).toString()).toBe(first.toString() + second.toString());
  });

  it('zstd decodes on Node 20 (no zlib zstd)', () => {
    expect(decompressZstd(ZSTD_FRAME).toString()).toBe('kafka-drill zstd\n');
  });

  it('kafkajs gets lz4, snappy and zstd codecs that decode', async () => {
    registerCompressionCodecs();
    const { CompressionCodecs, CompressionTypes } = kafkajs;
    const data = Buffer.from('records '.repeat(50));
    expect((await CompressionCodecs[CompressionTypes.LZ4]!().decompress(Buffer.from(lz4Compress(data)))).toString()).toBe(data.toString());
    expect((await CompressionCodecs[CompressionTypes.Snappy]!().decompress(Buffer.from(snappyCompress(data)))).toString()).toBe(data.toString());
    expect((await CompressionCodecs[CompressionTypes.ZSTD]!().decompress(ZSTD_FRAME)).toString()).toBe('kafka-drill zstd\n');
  });
});

function lengthOf(block: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(block.length);
  return length;
}
