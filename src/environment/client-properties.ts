import type { KafkaConnection } from '../kafka/connection.js';
import type { EnvironmentTls } from './tls/tls.js';

/** The Java client properties of a connection, by key (bootstrap.servers, security.protocol, sasl.*, ssl.*). */
export function clientPropertyMap(connection: KafkaConnection, tlsFiles?: Pick<EnvironmentTls, 'truststorePath' | 'adminKeystorePath'>): Record<string, string> {
  const properties: Record<string, string> = { 'bootstrap.servers': connection.bootstrap.join(',') };
  if (connection.sasl) {
    const { mechanism, username, password } = connection.sasl;
    const module = mechanism === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule';
    properties['security.protocol'] = connection.tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
    properties['sasl.mechanism'] = mechanism;
    properties['sasl.jaas.config'] = `${module} required username="${username}" password="${password}";`;
  } else if (connection.tls) {
    properties['security.protocol'] = 'SSL';
  }
  if (connection.tls && tlsFiles) {
    properties['ssl.truststore.type'] = 'PEM';
    properties['ssl.truststore.location'] = tlsFiles.truststorePath;
    if (tlsFiles.adminKeystorePath) {
      properties['ssl.keystore.type'] = 'PEM';
      properties['ssl.keystore.location'] = tlsFiles.adminKeystorePath;
    }
  }
  return properties;
}

/** The Java client properties (`--command-config`) for a connection, for Kafka's own CLI tools. */
export function clientProperties(connection: KafkaConnection, tlsFiles?: Pick<EnvironmentTls, 'truststorePath' | 'adminKeystorePath'>): string {
  return (
    Object.entries(clientPropertyMap(connection, tlsFiles))
      .map(([key, value]) => `${key}=${value}`)
      .join('\n') + '\n'
  );
}
