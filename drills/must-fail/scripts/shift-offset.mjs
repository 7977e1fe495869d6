// Moves one committed offset of a restored group by a number of records: the "wrong by one"
// a faulty runbook step or offset translation would leave behind. Used by offset-off-by-one.yaml.
//   node shift-offset.mjs GROUP TOPIC PARTITION DELTA
// Reaches the drill's environment as its admin (drill-admin.mjs).
import kafkajs from 'kafkajs';
import { drillLogin } from './drill-admin.mjs';

const [groupId, topic, partition, delta] = process.argv.slice(2);
const { brokers, sasl } = drillLogin();
const kafka = new kafkajs.Kafka({
  clientId: 'shift-offset',
  brokers,
  logLevel: kafkajs.logLevel.NOTHING,
  // kafkajs names its mechanisms in lower case.
  ...(sasl ? { sasl: { ...sasl, mechanism: sasl.mechanism?.toLowerCase() } } : {}),
});
const admin = kafka.admin();
await admin.connect();
try {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const current = committed.partitions.find((p) => p.partition === Number(partition));
  const offset = String(Number(current.offset) + Number(delta));
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: Number(partition), offset }] });
  console.log(`group ${groupId} ${topic}-${partition}: ${current.offset} → ${offset}`);
} finally {
  await admin.disconnect();
}
