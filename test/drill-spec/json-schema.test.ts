import { describe, expect, it } from 'vitest';
import { specJsonSchema } from '../../src/drill-spec/json-schema.js';

describe('specJsonSchema', () => {
  const text = JSON.stringify(specJsonSchema(), null, 2);
  const schema = JSON.parse(text) as Record<string, any>;

  it('is a draft-07 JSON Schema with an id and title', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).toBe('urn:kafka-drill:drill-spec');
    expect(schema.title).toBe('kafka-drill drill spec');
  });

  it('names every probe and assumption type', () => {
    const constsOf = (list: Record<string, any>) => list.items.oneOf.map((option: any) => option.properties.type.const);
    expect(constsOf(schema.properties.probes)).toEqual([
      'authorization',
      'offsets',
      'produce-consume',
      'custom',
      'connector-idempotency',
      'quota',
      'records-consumed',
      'consumer-lag',
      'streams',
    ]);
    expect(constsOf(schema.properties.assumptions)).toEqual([
      'topic-config',
      'group-offset',
      'acl',
      'user-exists',
      'quota',
      'broker-config',
      'tls-trusted',
      'tls-expiry',
      'topic-configs-accepted',
      'broker-configs-accepted',
    ]);
  });

  it('refuses unknown keys and requires nothing at the top (a snapshot or a source: the loader says which is missing)', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toBeUndefined();
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['snapshot', 'source']));
    expect(schema.properties.target.additionalProperties).toBe(false);
  });
});
