import { createTopicsV7, type Connection, type Reader } from '@platformatic/kafka';
import { sendForResponse } from './raw.js';

/**
 * CreateTopics v7 with a response reader that reads tagged fields as the protocol defines them.
 *
 * @platformatic/kafka 1.35's reader takes a tagged-field section for "signed varint byte length,
 * then skip": the protocol's section is an unsigned varint COUNT, then per field an unsigned
 * varint tag, an unsigned varint size and the data. Kafka sends CreateTopics' one tagged field,
 * TopicConfigErrorCode (tag 0), when the principal may CREATE a topic but not DESCRIBE_CONFIGS it
 * (num_partitions and replication_factor are then -1 and configs empty): the library's reader
 * then misreads every following topic and fails with "Out of bounds". This reader handles it,
 * any tag it does not know (skipped by size), null config arrays, per-topic messages and throttle.
 */
export interface CreateTopicsV7Result {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  /** Kafka's TopicConfigErrorCode: TOPIC_AUTHORIZATION_FAILED (29) when configs were withheld, else 0. */
  topicConfigErrorCode: number;
  numPartitions: number;
  replicationFactor: number;
  configs: { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean }[] | null;
}

export interface CreateTopicsV7Response {
  throttleTimeMs: number;
  topics: CreateTopicsV7Result[];
}

/** Reads one tagged-field section; `onTag` reads a known tag's data and returns true, else it is skipped by its size. */
export function readTaggedFields(reader: Reader, onTag: (tag: number, size: number) => boolean = () => false): void {
  const count = reader.readUnsignedVarInt();
  for (let index = 0; index < count; index++) {
    const tag = reader.readUnsignedVarInt();
    const size = reader.readUnsignedVarInt();
    const end = reader.position + size;
    if (!onTag(tag, size)) reader.skip(size);
    if (reader.position !== end) throw new Error(`tagged field ${tag}: read ${reader.position - (end - size)} of its ${size} bytes`);
  }
}

export function parseCreateTopicsV7Response(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): CreateTopicsV7Response {
  const throttleTimeMs = reader.readInt32();
  const topics = reader.readArray(
    (r) => {
      const topic: CreateTopicsV7Result = {
        name: r.readString(),
        topicId: r.readUUID(),
        errorCode: r.readInt16(),
        errorMessage: r.readNullableString(),
        topicConfigErrorCode: 0,
        numPartitions: r.readInt32(),
        replicationFactor: r.readInt16(),
        configs: r.readNullableArray(
          (c) => {
            const config = { name: c.readString(), value: c.readNullableString(), readOnly: c.readBoolean(), configSource: c.readInt8(), isSensitive: c.readBoolean() };
            readTaggedFields(c);
            return config;
          },
          true,
          false,
        ),
      };
      readTaggedFields(r, (tag) => {
        if (tag !== 0) return false;
        topic.topicConfigErrorCode = r.readInt16();
        return true;
      });
      return topic;
    },
    true,
    false,
  );
  readTaggedFields(reader);
  return { throttleTimeMs, topics };
}

type CreateTopicsArgs = Parameters<typeof createTopicsV7.createRequest>;

const createTopicsV7WithTags = {
  api: createTopicsV7.api as unknown as { key: number; version: number; async: (connection: Connection, ...args: CreateTopicsArgs) => Promise<CreateTopicsV7Response> },
  createRequest: createTopicsV7.createRequest,
  parseResponse: parseCreateTopicsV7Response,
};

/** CreateTopics v7 through the library's request writer and this response reader; per-topic errors stay in the answer. */
export function createTopics(connection: Connection, ...args: CreateTopicsArgs): Promise<CreateTopicsV7Response> {
  return sendForResponse(connection, createTopicsV7WithTags, ...args);
}
