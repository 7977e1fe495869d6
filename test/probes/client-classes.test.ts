import { describe, expect, it } from 'vitest';
import { probeFailsRun } from '../../src/model/verdict.js';
import { kcatError } from '../../src/kafka/kcat.js';
import { expectedFailureFor } from '../../src/probes/clients.js';
import { probesFromSpec } from '../../src/probes/from-spec.js';
import { drillSpecSchema, type ExpectedFailure } from '../../src/drill-spec/schema.js';

const spec = (extra: Record<string, unknown>) =>
  drillSpecSchema.parse({
    snapshot: 's.json',
    target: { security: 'scram' },
    probes: [
      { type: 'produce-consume', id: 'round-trip', topics: ['orders'] },
      { type: 'offsets', id: 'resume', clients: ['java'] },
      { type: 'custom', name: 'mine', module: './m.ts' },
    ],
    ...extra,
  });

describe('client classes of the matrix', () => {
  it('default kafkajs only: probes keep their ids and carry no matrix cell, as before', () => {
    const parsed = spec({});
    const probes = parsed.probes.flatMap((probe, index) => probesFromSpec(probe, index, parsed.clients));
    expect(probes.map((probe) => [probe.id, probe.matrix?.clientClass])).toEqual([
      ['round-trip', undefined],
      ['resume@java', 'java'],
      ['custom-3', undefined],
    ]);
  });

  it('drill-wide clients expand each matrix probe into one cell per client class; a probe’s own list wins', () => {
    const parsed = spec({ clients: ['kafkajs', 'librdkafka', 'java'] });
    const probes = parsed.probes.flatMap((probe, index) => probesFromSpec(probe, index, parsed.clients));
    expect(probes.map((probe) => probe.id)).toEqual(['round-trip@kafkajs', 'round-trip@librdkafka', 'round-trip@java', 'resume@java', 'custom-3']);
    expect(probes[1]!.matrix).toEqual({ probe: 'round-trip', clientClass: 'librdkafka' });
    expect(probes[1]!.name).toBe('produce-consume (orders) [librdkafka]');
  });

  it('refuses an unknown or repeated client class, naming the path', () => {
    expect(() => spec({ clients: ['kafkajs', 'rdkafka'] })).toThrow(/clients/);
    const repeated = drillSpecSchema.safeParse({ snapshot: 's.json', clients: ['java', 'java'] });
    expect(repeated.success).toBe(false);
    expect(repeated.error!.issues[0]).toMatchObject({ path: ['clients'], message: 'names a client class twice' });
  });

  it('an expected failure matches by client class, Kafka version and probe id', () => {
    const declared: ExpectedFailure[] = [{ client: 'librdkafka', kafkaVersions: ['4.3.1'], reason: 'nonce' }];
    expect(expectedFailureFor(declared, 'round-trip', 'librdkafka', '4.3.1')?.reason).toBe('nonce');
    expect(expectedFailureFor(declared, 'round-trip', 'librdkafka', '3.9.2')).toBeUndefined();
    expect(expectedFailureFor(declared, 'round-trip', 'java', '4.3.1')).toBeUndefined();
    const onlyOne: ExpectedFailure[] = [{ client: 'java', probes: ['resume'], reason: 'x' }];
    expect(expectedFailureFor(onlyOne, 'resume', 'java', '4.0.2')?.reason).toBe('x');
    expect(expectedFailureFor(onlyOne, 'round-trip', 'java', '4.0.2')).toBeUndefined();
  });

  it('a declared failure does not fail the run while red; a declared failure that passed does (stale)', () => {
    const expectedFailure = { reason: 'nonce' };
    expect(probeFailsRun({ status: 'failed' })).toBe(true);
    expect(probeFailsRun({ status: 'error' })).toBe(true);
    expect(probeFailsRun({ status: 'passed' })).toBe(false);
    expect(probeFailsRun({ status: 'failed', expectedFailure })).toBe(false);
    expect(probeFailsRun({ status: 'error', expectedFailure })).toBe(false);
    expect(probeFailsRun({ status: 'passed', expectedFailure })).toBe(true);
    expect(probeFailsRun({ status: 'skipped', expectedFailure })).toBe(true);
  });

  it('kcat’s text becomes Kafka’s error name through one fixed table of librdkafka’s error strings', () => {
    const sasl = kcatError({
      stdout: '',
      stderr:
        '%3|1796050514.555|FAIL|rdkafka#producer-1| [thrd:sasl_plaintext://127.0.0.1:23203/bootstrap]: sasl_plaintext://127.0.0.1:23203/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 313ms in state AUTH_REQ)\n% ERROR: Local: All broker connections are down',
    });
    expect(sasl.kafkaError).toBe('SASL_AUTHENTICATION_FAILED');
    expect(sasl.line).toContain('invalid credentials with SASL mechanism SCRAM-SHA-512');
    // A run that exited 0 answered on another broker connection: a login failure it logged is not its answer.
    expect(kcatError({ stdout: '{"topics":[]}', stderr: sasl.line!, exitCode: 0 }).kafkaError).toBeUndefined();
    expect(kcatError({ stdout: '', stderr: sasl.line!, exitCode: 1 }).kafkaError).toBe('SASL_AUTHENTICATION_FAILED');
    expect(kcatError({ stdout: '', stderr: '% ERROR: Topic payments [0] error: Broker: Topic authorization failed' }).kafkaError).toBe('TOPIC_AUTHORIZATION_FAILED');
    // A login refused on one broker connection does not hide the answer another connection carried.
    expect(kcatError({ stdout: '', stderr: `${sasl.line!}\n% ERROR: Topic payments [0] error: Broker: Topic authorization failed`, exitCode: 1 }).kafkaError).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(kcatError({ stdout: '', stderr: '% ERROR: Local: Message timed out' })).toEqual({ line: '% ERROR: Local: Message timed out' });
    expect(kcatError({ stdout: '{"topic":"t"}', stderr: '% Reading configuration from file kcat.conf' })).toEqual({});
  });
});
