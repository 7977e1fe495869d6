import type { Probe as ProbeSpec } from '../spec/schema.js';
import { AuthorizationProbe } from './authorization.js';
import { ConnectorIdempotencyProbe } from './connector-idempotency.js';
import { CustomProbe } from './custom.js';
import { OffsetsProbe } from './offsets.js';
import type { Probe } from './probe.js';
import { ProduceConsumeProbe } from './produce-consume.js';
import { QuotaProbe } from './quota.js';

/** The probe a spec entry describes; `index` (its place in the spec) gives the default id. */
export function probeFromSpec(spec: ProbeSpec, index: number): Probe {
  const id = spec.id ?? `${spec.type}-${index + 1}`;
  switch (spec.type) {
    case 'authorization':
      return new AuthorizationProbe(id, spec.name ?? (spec.derive ? 'authorization (derived from the snapshot ACLs)' : 'authorization'), spec);
    case 'offsets':
      return new OffsetsProbe(id, spec.name ?? `offsets (${spec.groups === 'all' ? 'all groups' : spec.groups.join(', ')})`, spec);
    case 'produce-consume':
      return new ProduceConsumeProbe(id, spec.name ?? `produce-consume (${spec.topics.join(', ')})`, spec);
    case 'custom':
      return new CustomProbe(id, spec.name, spec.module, spec.timeoutMs);
    case 'connector-idempotency':
      return new ConnectorIdempotencyProbe(id, spec.name ?? `connector idempotency (${spec.connector})`, spec);
    case 'quota':
      return new QuotaProbe(id, spec.name ?? `quota enforcement (${spec.entities ? spec.entities.join('; ') : 'every restored quota'})`, spec);
  }
}
