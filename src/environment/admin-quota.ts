import { alterClientQuotasV1, type Admin } from '@platformatic/kafka';
import { InfrastructureError } from '../errors.js';
import { brokerConnection, errorName, sendForResponse } from '../kafka/raw.js';

/**
 * Kafka applies client quotas to super users too: a snapshot's `<default>` user quota, once
 * restored, would throttle the drill's own admin (its synthetic data, its offsets probe) and make
 * a drill slow for the harness's reason. The admin gets quotas of its own, which outrank any
 * `<default>` entity, before the baseline is taken, so verify sees them as the fresh target's.
 */
export const ADMIN_QUOTAS = {
  producer_byte_rate: Number.MAX_SAFE_INTEGER,
  consumer_byte_rate: Number.MAX_SAFE_INTEGER,
  request_percentage: 1_000_000,
} as const;

export async function exemptFromQuotas(admin: Admin, user: string): Promise<void> {
  const ops = Object.entries(ADMIN_QUOTAS).map(([key, value]) => ({ key: key as never, value, remove: false as const }));
  const response = await sendForResponse(await brokerConnection(admin), alterClientQuotasV1, [{ entities: [{ entityType: 'user' as never, entityName: user }], ops }], false);
  const refused = response.entries.find((entry) => entry.errorCode !== 0);
  if (refused) {
    throw new InfrastructureError(`the drill's admin ${user} could not be exempted from client quotas: ${refused.errorMessage ?? errorName(refused.errorCode)}`);
  }
}
