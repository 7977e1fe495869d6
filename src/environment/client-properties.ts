import type { KafkaConnection } from '../kafka/connection.js';
import type { EnvironmentTls } from './tls/tls.js';

/** The Java client properties (`--command-config`) for a connection, for Kafka's own CLI tools. */
export function clientProperties(connection: KafkaConnection, tlsFiles?: Pick<EnvironmentTls, 'truststorePath' | 'adminKeystorePath'>): string {
  const lines = [`bootstrap.servers=${connection.bootstrap.join(',')}`];
  if (connection.sasl) {
    const { mechanism, username, password } = connection.sasl;
    const module = mechanism === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule';
    lines.push(
      `security.protocol=${connection.tls ? 'SASL_SSL' : 'SASL_PLAINTEXT'}`,
      `sasl.mechanism=${mechanism}`,
      `sasl.jaas.config=${module} required username="${username}" password="${password}";`,
    );
  } else if (connection.tls) {
    lines.push('security.protocol=SSL');
  }
  if (connection.tls && tlsFiles) {
    lines.push('ssl.truststore.type=PEM', `ssl.truststore.location=${tlsFiles.truststorePath}`);
    if (tlsFiles.adminKeystorePath) lines.push('ssl.keystore.type=PEM', `ssl.keystore.location=${tlsFiles.adminKeystorePath}`);
  }
  return lines.join('\n') + '\n';
}
