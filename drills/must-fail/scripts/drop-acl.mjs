// Deletes one ALLOW binding from the restored cluster: the binding a runbook that re-applies ACLs
// from an outdated list leaves out. Used by dropped-transactional-acl.yaml.
//   node drop-acl.mjs PRINCIPAL RESOURCE_TYPE PATTERN_TYPE RESOURCE_NAME OPERATION
// Reaches the drill's environment as its admin, from the client properties the drill hands
// every automated step (KAFKA_DRILL_COMMAND_CONFIG).
import { readFileSync } from 'node:fs';
import { Admin, AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka';

const [principal, resourceType, patternType, resourceName, operation] = process.argv.slice(2);
const properties = readFileSync(process.env.KAFKA_DRILL_COMMAND_CONFIG, 'utf8');
const jaas = /username="([^"]*)" password="([^"]*)"/.exec(properties);
const mechanism = /sasl\.mechanism=(\S+)/.exec(properties)?.[1];
const admin = new Admin({
  clientId: 'drop-acl',
  bootstrapBrokers: process.env.KAFKA_DRILL_BOOTSTRAP.split(','),
  ...(jaas ? { sasl: { mechanism, username: jaas[1], password: jaas[2] } } : {}),
});
try {
  const filter = {
    resourceType: ResourceTypes[resourceType],
    resourceName,
    resourcePatternType: ResourcePatternTypes[patternType],
    principal,
    host: '*',
    operation: AclOperations[operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
  const deleted = await admin.deleteAcls({ filters: [filter] });
  if (deleted.length !== 1) throw new Error(`expected to delete one binding, deleted ${deleted.length}`);
  console.log(`dropped ALLOW ${operation} on ${patternType} ${resourceType} ${resourceName} for ${principal}`);
} finally {
  await admin.close();
}
