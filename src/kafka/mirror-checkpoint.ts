/**
 * MirrorMaker 2's checkpoint records (the `<source alias>.checkpoints.internal` topic on the
 * target): per consumer group and partition, the group's committed offset on the source
 * (upstream) and the offset MirrorMaker translated it to on the target (downstream).
 *
 * Layout (connect-mirror's Checkpoint, Kafka protocol types): key = group STRING, topic STRING,
 * partition INT32; value = version INT16 (0), upstream offset INT64, downstream offset INT64,
 * metadata STRING. A STRING is an INT16 byte length and UTF-8 bytes.
 */
export interface MirrorCheckpoint {
  group: string;
  topic: string;
  partition: number;
  upstreamOffset: number;
  downstreamOffset: number;
  metadata: string;
}

class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}

  string(): string {
    const length = this.bytes.readInt16BE(this.take(2));
    if (length < 0) throw new Error('null string');
    return this.bytes.toString('utf8', this.take(length), this.at);
  }
  int16(): number {
    return this.bytes.readInt16BE(this.take(2));
  }
  int32(): number {
    return this.bytes.readInt32BE(this.take(4));
  }
  int64(): number {
    return Number(this.bytes.readBigInt64BE(this.take(8)));
  }
  private take(length: number): number {
    if (this.at + length > this.bytes.length) throw new Error(`truncated at byte ${this.at}`);
    const start = this.at;
    this.at += length;
    return start;
  }
}

/** One checkpoint record; undefined for a tombstone or a version this reader does not know. */
export function parseCheckpoint(key: Buffer | null, value: Buffer | null): MirrorCheckpoint | undefined {
  if (key === null || value === null) return undefined;
  const keyReader = new Reader(key);
  const group = keyReader.string();
  const topic = keyReader.string();
  const partition = keyReader.int32();
  const valueReader = new Reader(value);
  if (valueReader.int16() !== 0) return undefined;
  return { group, topic, partition, upstreamOffset: valueReader.int64(), downstreamOffset: valueReader.int64(), metadata: valueReader.string() };
}
