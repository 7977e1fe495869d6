/** ACL bindings, with Kafka's numeric enums turned into their names. */
import { AclOperations, AclPermissionTypes, describeAclsV3, ResourcePatternTypes, ResourceTypes, type Acl as WireAcl, type Admin, type Connection } from '@platformatic/kafka';

type DescribedAclResource = Awaited<ReturnType<typeof describeAclsV3.api.async>>['resources'][number];
import { kafkaErrorName } from './errors.js';

export interface AclBinding {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permissionType: string;
}

const nameOf = (enumeration: Record<string, number>) => new Map(Object.entries(enumeration).map(([name, id]) => [id, name]));
const resourceTypeNames = nameOf(ResourceTypes);
const patternTypeNames = nameOf(ResourcePatternTypes);
const operationNames = nameOf(AclOperations);
const permissionTypeNames = nameOf(AclPermissionTypes);

/** A DescribeAcls filter that matches every binding. */
export const ANY_ACL = {
  resourceType: ResourceTypes.ANY,
  resourceName: null,
  resourcePatternType: ResourcePatternTypes.ANY,
  principal: null,
  host: null,
  operation: AclOperations.ANY,
  permissionType: AclPermissionTypes.ANY,
};

/**
 * Every binding: one DescribeAcls matching any resource type, pattern type, principal, host,
 * operation and permission. A cluster without an authorizer (SECURITY_DISABLED) has none.
 */
export async function describeAllAcls(admin: Admin): Promise<AclBinding[]> {
  const resources = await admin
    .describeAcls({
      filter: ANY_ACL,
    })
    .catch((error: unknown) => {
      if (kafkaErrorName(error) === 'SECURITY_DISABLED') return [];
      throw error;
    });
  return bindingsOf(resources);
}

/** As describeAllAcls, answered by one broker from its own authorizer. */
export async function describeAclsOn(connection: Connection): Promise<AclBinding[]> {
  return bindingsOf((await describeAclsV3.api.async(connection, ANY_ACL)).resources);
}

function bindingsOf(resources: readonly DescribedAclResource[]): AclBinding[] {
  return resources.flatMap((resource) =>
    resource.acls.map((acl) => ({
      resourceType: resourceTypeNames.get(resource.resourceType) ?? 'UNKNOWN',
      resourceName: resource.resourceName,
      patternType: patternTypeNames.get(resource.resourcePatternType) ?? 'UNKNOWN',
      principal: acl.principal,
      host: acl.host,
      operation: operationNames.get(acl.operation) ?? 'UNKNOWN',
      permissionType: permissionTypeNames.get(acl.permissionType) ?? 'UNKNOWN',
    })),
  );
}

const idOf = (enumeration: Record<string, number>, name: string) => enumeration[name] as never;

/** A binding as the protocol wants it, for CreateAcls. */
export function aclToWire(acl: AclBinding): WireAcl {
  return {
    resourceType: idOf(ResourceTypes, acl.resourceType),
    resourceName: acl.resourceName,
    resourcePatternType: idOf(ResourcePatternTypes, acl.patternType),
    principal: acl.principal,
    host: acl.host,
    operation: idOf(AclOperations, acl.operation),
    permissionType: idOf(AclPermissionTypes, acl.permissionType),
  };
}
