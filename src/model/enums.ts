/** Names every floor shares: the spec reads them, environments and probes act on them, the result records them. */

/** Where a drill restores: local JVMs, containers, or a cluster the user provisioned. */
export const providerNames = ['process', 'docker', 'external'] as const;
export type ProviderName = (typeof providerNames)[number];

/** plaintext; scram (SASL/SCRAM); ssl (TLS, server-authenticated); mtls (client certificates); sasl_ssl (SCRAM over TLS). */
export const securityModes = ['plaintext', 'scram', 'ssl', 'mtls', 'sasl_ssl'] as const;
export type SecurityMode = (typeof securityModes)[number];

/** Where a cluster keeps its metadata: a KRaft quorum, or ZooKeeper (Kafka 3.x only). */
export const metadataModes = ['kraft', 'zookeeper'] as const;
export type MetadataMode = (typeof metadataModes)[number];

/** Where a drill's brokers keep their logs and metadata: a memory filesystem (tmpfs), or the environment's directory on disk. */
export const brokerStorages = ['memory', 'disk'] as const;
export type BrokerStorage = (typeof brokerStorages)[number];

/** What a security mode means for the brokers and clients of a drill, so no floor compares mode names. */
export interface SecurityProfile {
  /** Clients reach the brokers over TLS. */
  tls: boolean;
  /** Clients log in with SASL/SCRAM; the drill's admin gets a generated password. */
  scram: boolean;
  /** Clients authenticate with certificates (ssl.client.auth=required); principals come from ssl.principal.mapping.rules. */
  clientCertificates: boolean;
  /** Clients have principals of their own, so ACLs can be probed. */
  authenticated: boolean;
  /** The brokers run an authorizer (ssl: every TLS client is User:ANONYMOUS, a super user). */
  authorizer: boolean;
}

const securityProfiles: Record<SecurityMode, SecurityProfile> = {
  plaintext: { tls: false, scram: false, clientCertificates: false, authenticated: false, authorizer: false },
  scram: { tls: false, scram: true, clientCertificates: false, authenticated: true, authorizer: true },
  ssl: { tls: true, scram: false, clientCertificates: false, authenticated: false, authorizer: true },
  mtls: { tls: true, scram: false, clientCertificates: true, authenticated: true, authorizer: true },
  sasl_ssl: { tls: true, scram: true, clientCertificates: false, authenticated: true, authorizer: true },
};

export function securityProfile(mode: SecurityMode): SecurityProfile {
  return securityProfiles[mode];
}

/** Modes in which clients have principals of their own, so ACLs can be probed. */
export const authenticatedModes: readonly SecurityMode[] = securityModes.filter((mode) => securityProfiles[mode].authenticated);

/** Client classes the produce-consume, authorization and offsets probes can run through (the client matrix). */
export const clientClasses = ['kafkajs', 'librdkafka', 'java'] as const;
export type ClientClass = (typeof clientClasses)[number];

/** Restore phases, in the one order the restore runs them. */
export const restorePhases = ['topics', 'cluster-configs', 'security', 'data', 'offsets', 'connectors'] as const;
export type RestorePhase = (typeof restorePhases)[number];

/** Every timed phase of a drill, in order; a manual step belongs to one of them. */
export const drillPhases = ['environment', ...restorePhases, 'verify', 'probes', 'teardown'] as const;
export type DrillPhase = (typeof drillPhases)[number];

/** The drill's own admin user. Not "admin": a snapshot often has its own admin user, and restoring it must not lock the drill out. */
export const ADMIN_USER = 'kafka-drill-admin';
