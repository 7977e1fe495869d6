import { Admin } from '@platformatic/kafka';
import type { KafkaConnection } from './connection.js';

/**
 * The admin client used by capture and restore (@platformatic/kafka). Callers own the
 * returned client and close it; nothing here is a module-level singleton.
 */
export interface AdminOptions {
  timeoutMs?: number;
  retries?: number;
  /** How long one request may wait for its response (the library's default is 30 s). */
  requestTimeoutMs?: number;
}

export function createAdmin(connection: KafkaConnection, options: AdminOptions = {}): Admin {
  return new Admin({
    clientId: connection.clientId ?? 'kafka-drill-admin',
    bootstrapBrokers: connection.bootstrap,
    timeout: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 0,
    ...(options.requestTimeoutMs ? { requestTimeout: options.requestTimeoutMs } : {}),
    ...(connection.sasl ? { sasl: { mechanism: connection.sasl.mechanism, username: connection.sasl.username, password: connection.sasl.password } } : {}),
    ...(connection.tls ? { tls: { ...connection.tls } } : {}),
  });
}

export async function withAdmin<T>(connection: KafkaConnection, use: (admin: Admin) => Promise<T>, options: AdminOptions = {}): Promise<T> {
  const admin = createAdmin(connection, options);
  try {
    return await use(admin);
  } finally {
    await admin.close().catch(() => {});
  }
}

export interface ClusterDescription {
  clusterId: string;
  controllerId: number;
  brokerIds: number[];
}

export async function describeCluster(admin: Admin): Promise<ClusterDescription> {
  const metadata = await admin.metadata({ topics: [], forceUpdate: true });
  return {
    clusterId: metadata.id,
    controllerId: metadata.controllerId,
    brokerIds: [...metadata.brokers.keys()].sort((a, b) => a - b),
  };
}
