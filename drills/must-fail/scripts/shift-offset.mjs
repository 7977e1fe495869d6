// Moves one committed offset of a restored group by a number of records: the "wrong by one"
// a faulty runbook step or offset translation would leave behind. Used by offset-off-by-one.yaml.
//   node shift-offset.mjs GROUP TOPIC PARTITION DELTA
// Reaches the drill's environment as its admin, from the client properties the drill hands
// every automated step (KAFKA_DRILL_COMMAND_CONFIG).
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';

const [groupId, topic, partition, delta] = process.argv.slice(2);
const properties = readFileSync(process.env.KAFKA_DRILL_COMMAND_CONFIG, 'utf8');
const jaas = /username="([^"]*)" password="([^"]*)"/.exec(properties);
const mechanism = /sasl\.mechanism=(\S+)/.exec(properties)?.[1]?.toLowerCase();
const kafka = new kafkajs.Kafka({
  clientId: 'shift-offset',
  brokers: process.env.KAFKA_DRILL_BOOTSTRAP.split(','),
  logLevel: kafkajs.logLevel.NOTHING,
  ...(jaas ? { sasl: { mechanism, username: jaas[1], password: jaas[2] } } : {}),
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
