import { AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes, type Admin } from '@platformatic/kafka';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEnvironment } from '../../src/environment/start.js';
import type { StartedEnvironment } from '../../src/environment/types.js';
import { createAdmin, withAdmin } from '../../src/kafka/admin.js';
import { asUser, type KafkaConnection } from '../../src/kafka/connection.js';
import { kafkaErrorName } from '../../src/kafka/errors.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { describeScramCredentials, upsertScramCredentials } from '../../src/kafka/scram.js';
import { VERSION_LINES, waitFor } from '../support/kafka.js';

const alice = { mechanism: 'SCRAM-SHA-256' as const, username: 'alice', password: 'alice-secret-1' };

function allow(principal: string, resourceType: number, resourceName: string, operation: number) {
  return {
    resourceType: resourceType as never,
    resourceName,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    principal,
    host: '*',
    operation: operation as never,
    permissionType: AclPermissionTypes.ALLOW,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => 'no error',
    (error: unknown) => kafkaErrorName(error) ?? String(error),
  );
}

// Both client wrappers, against one version of every supported line, as a SCRAM user that holds ACLs.
describe.each(VERSION_LINES)('client wrappers on Kafka %s', (kafkaVersion) => {
  let environment: StartedEnvironment;
  let asAlice: KafkaConnection;

  beforeAll(async () => {
    environment = await startEnvironment('process', { kafkaVersion, brokers: 1, security: 'scram', heapMb: 384 });
    asAlice = asUser(environment.admin, alice);
    await withAdmin(environment.admin, async (admin: Admin) => {
      await admin.createTopics({ topics: ['payments'], partitions: 2, replicas: 1 });
      await admin.createTopics({ topics: ['ledger'], partitions: 1, replicas: 1 });
      expect(await upsertScramCredentials(admin, [{ user: 'alice', mechanism: 'SCRAM-SHA-256', iterations: 4096, password: alice.password }])).toEqual([]);
      await admin.createAcls({
        creations: [
          allow('User:alice', ResourceTypes.TOPIC, 'payments', AclOperations.WRITE),
          allow('User:alice', ResourceTypes.TOPIC, 'payments', AclOperations.READ),
          allow('User:alice', ResourceTypes.TOPIC, 'payments', AclOperations.DESCRIBE),
          allow('User:alice', ResourceTypes.GROUP, 'alice-group', AclOperations.READ),
        ],
      });
    });
  });
  afterAll(() => environment?.stop());

  it('admin wrapper: SCRAM credentials are described by mechanism and iterations only', async () => {
    const credentials = await withAdmin(environment.admin, (admin) => describeScramCredentials(admin, null));
    expect(credentials).toContainEqual({ user: 'alice', mechanism: 'SCRAM-SHA-256', iterations: 4096 });
    expect(JSON.stringify(credentials)).not.toContain(alice.password);
  });

  it('admin wrapper: alice reads metadata of her topic and is refused creating one', async () => {
    const admin = createAdmin(asAlice);
    try {
      const metadata = await admin.metadata({ topics: ['payments'] });
      expect(metadata.topics.get('payments')?.partitionsCount).toBe(2);
      expect(await failureOf(admin.createTopics({ topics: ['alice-made'], partitions: 1, replicas: 1 }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await admin.close();
    }
  });

  it('probe client: alice produces and consumes with her group', async () => {
    const kafka = createProbeClient(asAlice);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'payments', messages: [{ key: 'k1', value: `paid on ${kafkaVersion}`, partition: 0 }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'alice-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'payments', fromBeginning: true });
    const received = new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') });
    });
    const value = await Promise.race([received, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no record within 30s')), 30_000))]);
    await consumer.disconnect();
    expect(value).toBe(`paid on ${kafkaVersion}`);
  });

  it("probe client: a denied produce fails with Kafka's authorization error, and a wrong password does not authenticate", async () => {
    const producer = createProbeClient(asAlice, { retries: 0 }).producer();
    await producer.connect();
    try {
      expect(await failureOf(producer.send({ topic: 'ledger', messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await producer.disconnect();
    }
    const impostor = createProbeClient(asUser(environment.admin, { ...alice, password: 'guess' }), { retries: 0 }).producer();
    expect(await failureOf(impostor.connect())).toBe('SASL_AUTHENTICATION_FAILED');
    await impostor.disconnect().catch(() => {});
  });

  it('probe client: a SCRAM login derives a salted password once per password, salt and count; a wrong password still fails; a re-created credential logs in', async () => {
    const bob = { mechanism: 'SCRAM-SHA-512' as const, username: 'bob', password: 'bob-secret-1' };
    const login = async (password: string) => {
      const admin = createProbeClient(asUser(environment.admin, { ...bob, password }), { retries: 0 }).admin();
      try {
        return await failureOf(admin.connect().then(() => admin.listTopics()));
      } finally {
        await admin.disconnect().catch(() => {});
      }
    };
    const credential = (password: string) =>
      withAdmin(environment.admin, (admin) => upsertScramCredentials(admin, [{ user: 'bob', mechanism: 'SCRAM-SHA-512', iterations: 4096, password }]));
    expect(await credential(bob.password)).toEqual([]);
    // The broker applies the new credential from its metadata log a moment later.
    await waitFor(async () => (await login(bob.password)) === 'no error', 10_000, 'bob can log in');
    // kafkajs derives with crypto.pbkdf2, looked up at each call.
    const derivations = vi.spyOn(crypto, 'pbkdf2');
    try {
      for (let round = 0; round < 3; round++) expect(await login(bob.password)).toBe('no error');
      expect(derivations).not.toHaveBeenCalled();
      expect(await login('bob-guess')).toBe('SASL_AUTHENTICATION_FAILED');
      expect(derivations).toHaveBeenCalledTimes(1);
    } finally {
      derivations.mockRestore();
    }

    // Re-created with another password: a new salt, so the old password no longer logs in and the new one does.
    expect(await credential('bob-secret-2')).toEqual([]);
    await waitFor(async () => (await login('bob-secret-2')) === 'no error', 10_000, 'bob logs in with his new password');
    expect(await login(bob.password)).toBe('SASL_AUTHENTICATION_FAILED');
  });
});
