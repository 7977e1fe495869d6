// Removes quota keys from restored entities: the throttles a runbook lifts so clients catch up
// after a recovery, and forgets to put back. Used by quota-lifted.yaml.
//   node lift-quotas.mjs user=NAME:KEY [client-id=NAME:KEY ...]
// Reaches the drill's environment as its admin (drill-admin.mjs).
import { drillAdmin } from './drill-admin.mjs';

const admin = drillAdmin('lift-quotas');
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
