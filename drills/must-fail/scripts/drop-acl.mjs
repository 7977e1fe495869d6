// Deletes one ALLOW binding from the restored cluster: the binding a runbook that re-applies ACLs
// from an outdated list leaves out. Used by dropped-transactional-acl.yaml.
//   node drop-acl.mjs PRINCIPAL RESOURCE_TYPE PATTERN_TYPE RESOURCE_NAME OPERATION
// Reaches the drill's environment as its admin (drill-admin.mjs).
import { AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka';
import { drillAdmin } from './drill-admin.mjs';

const [principal, resourceType, patternType, resourceName, operation] = process.argv.slice(2);
const admin = drillAdmin('drop-acl');
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
