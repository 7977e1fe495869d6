/** Names every floor shares: the spec reads them, environments and probes act on them, the result records them. */

/** Where a drill restores: local JVMs, containers, or a cluster the user provisioned. */
export const providerNames = ['process', 'docker', 'external'] as const;
export type ProviderName = (typeof providerNames)[number];

/** plaintext; scram (SASL/SCRAM); ssl (TLS, server-authenticated); mtls (client certificates); sasl_ssl (SCRAM over TLS). */
export const securityModes = ['plaintext', 'scram', 'ssl', 'mtls', 'sasl_ssl'] as const;
export type SecurityMode = (typeof securityModes)[number];
/** Modes in which clients have principals of their own, so ACLs can be probed. */
export const authenticatedModes: readonly SecurityMode[] = ['scram', 'mtls', 'sasl_ssl'];

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
