/**
 * One description of how to reach a cluster. Every client wrapper (admin, probe client)
 * is configured from it, so a probe and the restore always talk to Kafka the same way.
 */
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslCredentials {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

export interface TlsOptions {
  /** PEM text of the CA certificates to trust. */
  ca?: string;
  /** PEM client certificate and key, for mutual TLS. */
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}

export interface KafkaConnection {
  bootstrap: string[];
  sasl?: SaslCredentials;
  tls?: TlsOptions;
  clientId?: string;
}

/** The same connection, authenticated as another principal (for probes). */
export function asUser(connection: KafkaConnection, sasl: SaslCredentials | undefined): KafkaConnection {
  return sasl ? { ...connection, sasl } : { ...connection, sasl: undefined };
}

/** A printable form with the password removed, for logs and errors. */
export function describeConnection(connection: KafkaConnection): string {
  const auth = connection.sasl ? ` as ${connection.sasl.username} (${connection.sasl.mechanism})` : '';
  const tls = connection.tls ? ' over TLS' : '';
  return `${connection.bootstrap.join(',')}${auth}${tls}`;
}
