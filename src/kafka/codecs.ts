/**
 * Compression codecs for production topics (compression.type lz4, zstd, snappy). kafkajs ships
 * only gzip, and @platformatic/kafka's zstd needs Node's zlib zstd (Node ≥ 22.15): without these,
 * a consumer of such a topic fails on its first fetch. Pure WebAssembly/JavaScript packages, no
 * native build: lz4 (frame format) and snappy from @platformatic/wasm-utils, zstd decompression
 * from fzstd. The drill's own producers send uncompressed and the broker compresses to the
 * topic's codec, so zstd compression is never needed here.
 *
 * Kafka's Java clients and brokers write snappy in xerial's framing (a magic header, then
 * length-prefixed blocks); readers must accept it as well as a raw snappy block.
 */
import { compressionsAlgorithms } from '@platformatic/kafka';
import { lz4Compress, lz4Decompress, snappyCompress, snappyDecompress } from '@platformatic/wasm-utils';
import { decompress as zstdDecompress } from 'fzstd';
import kafkajs from 'kafkajs';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/** A snappy payload as Kafka writes it: xerial-framed blocks, or one raw block. */
export function decompressSnappy(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return Buffer.from(snappyDecompress(data));
  const blocks: Buffer[] = [];
  for (let position = XERIAL_HEADER_BYTES; position < data.length;) {
    const length = data.readUInt32BE(position);
    position += 4;
    blocks.push(Buffer.from(snappyDecompress(data.subarray(position, position + length))));
    position += length;
  }
  return Buffer.concat(blocks);
}

export function decompressZstd(data: Buffer): Buffer {
  return Buffer.from(zstdDecompress(data));
}

let registered = false;

/** Registers the codecs with kafkajs and fills @platformatic/kafka's gaps; idempotent. */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  type Encoder = { buffer: Buffer };
  const codec = (compress: (data: Buffer) => Buffer, decompress: (data: Buffer) => Buffer) => () => ({
    compress: async (encoder: Encoder) => compress(encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(buffer),
  });
  CompressionCodecs[CompressionTypes.Snappy] = codec((data) => Buffer.from(snappyCompress(data)), decompressSnappy);
  CompressionCodecs[CompressionTypes.LZ4] = codec(
    (data) => Buffer.from(lz4Compress(data)),
    (data) => Buffer.from(lz4Decompress(data)),
  );
  CompressionCodecs[CompressionTypes.ZSTD] = codec(() => {
    throw new Error('kafka-drill does not produce zstd itself: it sends uncompressed and the broker compresses');
  }, decompressZstd);

  const algorithms = compressionsAlgorithms as unknown as Record<string, { decompressSync: (data: Buffer) => Buffer; available: boolean }>;
  algorithms.snappy!.decompressSync = decompressSnappy;
  if (!algorithms.zstd!.available) algorithms.zstd!.decompressSync = decompressZstd;
}
