// The restored fulfilment service: consumes shop.orders as User:shop-reader in its group
// shop-fulfilment, as the application does after a recovery (a custom probe; used by
// dropped-acl.yaml). Passes once a record arrives, fails when Kafka refuses the consumer.
// It never commits: the group's restored offsets stay as they are.
import { clearTimeout, setTimeout } from 'node:timers';
import kafkajs from 'kafkajs';

const USER = 'shop-reader';
const GROUP = 'shop-fulfilment';
const TOPIC = 'shop.orders';

export default async function fulfilmentConsumer(context) {
  const password = context.credentials.get(USER);
  if (!password) return { status: 'failed', message: `no credential for ${USER} in the drill` };
  const kafka = new kafkajs.Kafka({
    clientId: 'fulfilment-service',
    brokers: context.connection.bootstrap,
    sasl: { mechanism: 'scram-sha-512', username: USER, password },
    ...(context.connection.tls ? { ssl: context.connection.tls } : {}),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 1 },
  });
  const consumer = kafka.consumer({ groupId: GROUP, retry: { retries: 1 } });
  const base = { principal: `User:${USER}`, operation: 'READ', resource: `group ${GROUP}, topic ${TOPIC}`, expected: 'a record within 20 s' };
  try {
    const outcome = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ observed: 'no record within 20 s' }), 20_000);
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(timer);
        resolve({ observed: `the consumer crashed: ${payload.error.type ?? payload.error.message}`, kafkaError: payload.error.type });
      });
      consumer
        .connect()
        .then(() => consumer.subscribe({ topics: [TOPIC], fromBeginning: true }))
        .then(() =>
          consumer.run({
            autoCommit: false,
            eachMessage: async () => {
              clearTimeout(timer);
              resolve({ observed: 'a record arrived', ok: true });
            },
          }),
        )
        .catch((error) => {
          clearTimeout(timer);
          resolve({ observed: `the consumer failed: ${error.type ?? error.message}`, ...(error.type ? { kafkaError: error.type } : {}) });
        });
    });
    const { ok, ...rest } = outcome;
    return { status: ok ? 'passed' : 'failed', evidence: [{ ...base, ...rest }] };
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}
