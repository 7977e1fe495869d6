import type { ProbeSpec } from '../drill-spec/schema.js';
import { AuthorizationProbe } from './authorization/authorization.js';
import { ConnectorIdempotencyProbe } from './connect/connector-idempotency.js';
import { CustomProbe } from './custom.js';
import { OffsetsProbe } from './offsets/offsets.js';
import type { ProbeRunner } from './probe.js';
import { ProduceConsumeProbe } from './produce-consume.js';
import { QuotaProbe } from './quota/quota.js';
import { StreamsProbe } from './streams.js';
import { ConsumerLagProbe, RecordsConsumedProbe } from './success-criteria.js';
import type { ClientClass } from '../model/enums.js';

/**
 * The probes a spec entry describes; `index` (its place in the spec) gives the default id. A
 * produce-consume, authorization or offsets probe runs once per client class (its own `clients`,
 * else the drill's): with kafkajs alone it is one probe as before; with several, each is
 * `<id>@<client>`, one cell of the client matrix.
 */
export function probesFromSpec(spec: ProbeSpec, index: number, drillClients: readonly ClientClass[] = ['kafkajs']): ProbeRunner[] {
  const id = spec.id ?? `${spec.type}-${index + 1}`;
  if (spec.type !== 'authorization' && spec.type !== 'offsets' && spec.type !== 'produce-consume') return [probeFromSpec(spec, index)];
  const clients = spec.clients ?? drillClients;
  if (clients.length === 1 && clients[0] === 'kafkajs') return [probeFromSpec(spec, index)];
  return clients.map((clientClass) => probeFromSpec(spec, index, { probe: id, clientClass }));
}

/** The probe a spec entry describes, through one client class of the matrix when `matrix` is given. */
export function probeFromSpec(spec: ProbeSpec, index: number, matrix?: ProbeRunner['matrix']): ProbeRunner {
  const baseId = spec.id ?? `${spec.type}-${index + 1}`;
  const id = matrix ? `${baseId}@${matrix.clientClass}` : baseId;
  const suffix = matrix ? ` [${matrix.clientClass}]` : '';
  switch (spec.type) {
    case 'authorization':
      return new AuthorizationProbe(id, (spec.name ?? (spec.derive ? 'authorization (derived from the snapshot ACLs)' : 'authorization')) + suffix, spec, matrix);
    case 'offsets':
      return new OffsetsProbe(id, (spec.name ?? `offsets (${spec.groups === 'all' ? 'all groups' : spec.groups.join(', ')})`) + suffix, spec, matrix);
    case 'produce-consume':
      return new ProduceConsumeProbe(id, (spec.name ?? `produce-consume (${spec.topics.join(', ')})`) + suffix, spec, matrix);
    case 'custom':
      return new CustomProbe(id, spec.name, spec.module, spec.timeoutMs);
    case 'connector-idempotency':
      return new ConnectorIdempotencyProbe(id, spec.name ?? `connector idempotency (${spec.connector})`, spec);
    case 'quota':
      return new QuotaProbe(id, spec.name ?? `quota enforcement (${spec.entities ? spec.entities.join('; ') : 'every restored quota'})`, spec);
    case 'records-consumed':
      return new RecordsConsumedProbe(id, spec.name ?? `${spec.records} records consumed by ${spec.group} within ${spec.withinSeconds}s`, spec);
    case 'consumer-lag':
      return new ConsumerLagProbe(id, spec.name ?? `consumer lag of ${spec.group} back to at most ${spec.maxLag} within ${spec.withinSeconds}s`, spec);
    case 'streams':
      return new StreamsProbe(id, spec.name ?? `Kafka Streams application ${spec.application}`, spec);
  }
}
