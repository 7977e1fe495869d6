/** Client quotas: every entity (user, client-id, ip, `<default>`, composites) in one request. */
import type { Admin } from '@platformatic/kafka';

export interface QuotaEntry {
  /** Entity parts; name null is Kafka's `<default>`. */
  entity: { type: string; name: string | null }[];
  values: Record<string, number>;
}

// No filter components with strict=false matches every entity Kafka knows.
export async function describeAllQuotas(admin: Admin): Promise<QuotaEntry[]> {
  const entries = await admin.describeClientQuotas({ components: [], strict: false });
  return entries.map((entry) => ({
    entity: entry.entity.map((part) => ({ type: part.entityType, name: part.entityName ?? null })),
    values: Object.fromEntries(entry.values.map((value) => [value.key, value.value])),
  }));
}
