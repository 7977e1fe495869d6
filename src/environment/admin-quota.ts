import { alterClientQuotasV1, type Admin } from '@platformatic/kafka';
import { InfrastructureError } from '../errors.js';
import { describeAllQuotas } from '../kafka/quotas.js';
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
  // The broker answers DescribeClientQuotas from metadata it applies a moment later: wait until it
  // shows the exemption, or the baseline taken next would miss it and verify would call it drift.
  const deadline = Date.now() + VISIBLE_WITHIN_MS;
  for (;;) {
    const own = (await describeAllQuotas(admin)).find((entry) => entry.entity.length === 1 && entry.entity[0]!.type === 'user' && entry.entity[0]!.name === user);
    if (own && Object.keys(ADMIN_QUOTAS).every((key) => key in own.values)) return;
    if (Date.now() > deadline) throw new InfrastructureError(`the drill's admin ${user}: its quota exemption was not visible within ${VISIBLE_WITHIN_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const VISIBLE_WITHIN_MS = 30_000;
