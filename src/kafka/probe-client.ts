import kafkajs, { type KafkaConfig, type logCreator } from 'kafkajs';

// kafkajs is CommonJS: Node's ESM loader sees only a few of its names, so take them from the default export.
const { Kafka, logLevel } = kafkajs;
export const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes } = kafkajs;
import type { KafkaConnection } from './connection.js';
import { registerCompressionCodecs } from './codecs.js';
import { scramLogin } from './scram-login.js';

registerCompressionCodecs();

/**
 * The probe client (kafkajs): probes use the most common Node client so they fail the way
 * real applications fail. Configured from the same KafkaConnection as the admin wrapper.
 */
export function createProbeClient(
  connection: KafkaConnection,
  options: { clientId?: string; retries?: number; requestTimeoutMs?: number; logCreator?: logCreator } = {},
): kafkajs.Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId ?? connection.clientId ?? 'kafka-drill-probe',
    brokers: connection.bootstrap,
    // A log creator sees kafkajs's debug entries (the quota probe reads throttle times from them).
    ...(options.logCreator ? { logLevel: logLevel.DEBUG, logCreator: options.logCreator } : { logLevel: logLevel.NOTHING }),
    connectionTimeout: 5_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: options.retries ?? 2, initialRetryTime: 100, maxRetryTime: 1_000 },
  };
  if (connection.sasl) {
    const { mechanism, username, password } = connection.sasl;
    config.sasl = mechanism === 'PLAIN' ? { mechanism: 'plain', username, password } : scramLogin(mechanism, username, password);
  }
  if (connection.tls) config.ssl = { ...connection.tls };
  return new Kafka(config);
}
