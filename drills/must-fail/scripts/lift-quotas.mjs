// Removes quota keys from restored entities: the throttles a runbook lifts so clients catch up
// after a recovery, and forgets to put back. Used by quota-lifted.yaml.
//   node lift-quotas.mjs user=NAME:KEY [client-id=NAME:KEY ...]
// Reaches the drill's environment as its admin, from the client properties the drill hands
// every automated step (KAFKA_DRILL_COMMAND_CONFIG).
import { readFileSync } from 'node:fs';
import { Admin } from '@platformatic/kafka';

const properties = readFileSync(process.env.KAFKA_DRILL_COMMAND_CONFIG, 'utf8');
const jaas = /username="([^"]*)" password="([^"]*)"/.exec(properties);
const mechanism = /sasl\.mechanism=(\S+)/.exec(properties)?.[1];
const admin = new Admin({
  clientId: 'lift-quotas',
  bootstrapBrokers: process.env.KAFKA_DRILL_BOOTSTRAP.split(','),
  ...(jaas ? { sasl: { mechanism, username: jaas[1], password: jaas[2] } } : {}),
});
const entries = process.argv.slice(2).map((argument) => {
  const [entity, key] = argument.split(':');
  const [entityType, entityName] = entity.split('=');
  return { entities: [{ entityType, entityName: entityName === '<default>' ? null : entityName }], ops: [{ key, remove: true }] };
});
try {
  const results = await admin.alterClientQuotas({ entries });
  const failed = results.filter((result) => result.errorCode !== 0);
  if (failed.length > 0) throw new Error(JSON.stringify(failed));
  console.log(`lifted ${process.argv.slice(2).join(', ')}`);
} finally {
  await admin.close();
}
