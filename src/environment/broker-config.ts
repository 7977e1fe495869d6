import { dedupeBufferBytes } from './sizing.js';
import { ADMIN_USER, securityProfile, type SecurityMode } from '../model/enums.js';

/**
 * server.properties for one combined broker+controller KRaft node of a drill environment.
 * Pure: every provider (local JVMs, containers) builds its nodes' configs here.
 */

/**
 * `__consumer_offsets` partitions in a drill environment. Kafka's 50 make the first group
 * request wait while 50 partitions are created and led (30 s and more under load); a drill
 * has a few hundred groups at most, and which partition a group maps to does not matter.
 */
export const DRILL_OFFSETS_TOPIC_PARTITIONS = 5;

/** Where one node listens and how the other nodes and clients reach it. */
export interface NodeListeners {
  nodeId: number;
  /** Host the other nodes use for this node's internal and controller listeners. */
  host: string;
  /** Address every listener binds to; defaults to `host` (a container binds 0.0.0.0). */
  bindHost?: string;
  clientPort: number;
  internalPort: number;
  controllerPort: number;
  /** host:port clients are told for the client listener; defaults to host:clientPort (a container gives its mapped port). */
  advertisedClient?: string;
}

export interface BrokerConfigInput {
  node: NodeListeners;
  /** Every node of the cluster, this one included: all are controller voters. */
  nodes: NodeListeners[];
  security: SecurityMode;
  /** The node's log directory. */
  dataDir: string;
  /** Defaults to DRILL_OFFSETS_TOPIC_PARTITIONS. */
  offsetsTopicPartitions?: number;
  /** The node's max heap: heap-sized buffers are sized from it. */
  heapMb: number;
  /** TLS modes: the PEM files as the broker sees them (its key, certificate and CA; the CA alone). */
  tls?: { keystorePath: string; truststorePath: string };
  /** mtls: the admin's certificate principal, a super user; and the mapping rules that gave it. */
  adminPrincipal?: string;
  principalMappingRules?: string;
  /** ZooKeeper mode (Kafka 3.x): the ensemble's host:port; the node is a broker only, with no controller listener. */
  zookeeperConnect?: string;
}

/** The client listener's name and protocol per mode; broker↔broker and controller listeners stay PLAINTEXT. */
const CLIENT_LISTENERS = {
  plaintext: { name: 'CLIENT', protocol: 'PLAINTEXT' },
  scram: { name: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT' },
  ssl: { name: 'SSL', protocol: 'SSL' },
  mtls: { name: 'SSL', protocol: 'SSL' },
  sasl_ssl: { name: 'SASL_SSL', protocol: 'SASL_SSL' },
} as const;

export type BrokerProperties = Record<string, string | number | boolean>;

export function brokerProperties(input: BrokerConfigInput): BrokerProperties {
  const { node, nodes, security, dataDir, offsetsTopicPartitions = DRILL_OFFSETS_TOPIC_PARTITIONS } = input;
  const replication = Math.min(3, nodes.length);
  const { name: clientListener, protocol: clientProtocol } = CLIENT_LISTENERS[security];
  const bind = node.bindHost ?? node.host;
  const zookeeper = input.zookeeperConnect;
  const metadata: BrokerProperties = zookeeper
    ? { 'broker.id': node.nodeId, 'zookeeper.connect': zookeeper }
    : {
        'process.roles': 'broker,controller',
        'node.id': node.nodeId,
        'controller.quorum.voters': nodes.map((n) => `${n.nodeId}@${n.host}:${n.controllerPort}`).join(','),
        'controller.listener.names': 'CONTROLLER',
      };
  const controller = zookeeper ? '' : `,CONTROLLER://${bind}:${node.controllerPort}`;
  const properties: BrokerProperties = {
    ...metadata,
    // Broker↔controller and inter-broker traffic stay PLAINTEXT: SCRAM credentials live in
    // the metadata log, so controllers cannot use them. They authenticate as User:ANONYMOUS (a super user).
    listeners: `${clientListener}://${bind}:${node.clientPort},INTERNAL://${bind}:${node.internalPort}${controller}`,
    'advertised.listeners': `${clientListener}://${node.advertisedClient ?? `${node.host}:${node.clientPort}`},INTERNAL://${node.host}:${node.internalPort}`,
    'inter.broker.listener.name': 'INTERNAL',
    'listener.security.protocol.map': `${clientListener}:${clientProtocol},INTERNAL:PLAINTEXT${zookeeper ? '' : ',CONTROLLER:PLAINTEXT'}`,
    'log.dirs': dataDir,
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    'offsets.topic.replication.factor': replication,
    'offsets.topic.num.partitions': offsetsTopicPartitions,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': Math.min(2, replication),
    'transaction.state.log.num.partitions': 5,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': Math.min(2, replication),
    'group.initial.rebalance.delay.ms': 0,
    'log.cleaner.dedupe.buffer.size': dedupeBufferBytes(input.heapMb),
  };
  if (clientProtocol.startsWith('SASL_')) {
    const listener = clientListener.toLowerCase();
    Object.assign(properties, {
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
      [`listener.name.${listener}.scram-sha-256.sasl.jaas.config`]: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      [`listener.name.${listener}.scram-sha-512.sasl.jaas.config`]: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    });
  }
  if (clientProtocol.endsWith('SSL')) {
    if (!input.tls) throw new Error(`security ${security} needs the brokers' TLS files`);
    // PEM stores (Kafka ≥ 2.7) with an unencrypted key: no store or key password exists to leak.
    Object.assign(properties, {
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': input.tls.keystorePath,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': input.tls.truststorePath,
    });
  }
  const profile = securityProfile(security);
  if (profile.clientCertificates) {
    properties['ssl.client.auth'] = 'required';
    if (input.principalMappingRules !== undefined) properties['ssl.principal.mapping.rules'] = input.principalMappingRules;
  }
  // ssl: every TLS client is User:ANONYMOUS (a super user, like the internal listeners), so ACLs are
  // restored and verified but not enforced on clients; the authorizer is on so they can be restored.
  if (profile.authorizer) {
    const superUsers = profile.clientCertificates ? [input.adminPrincipal ?? `User:${ADMIN_USER}`] : [`User:${ADMIN_USER}`];
    Object.assign(properties, {
      // ZooKeeper mode keeps ACLs in ZooKeeper, read by its own authorizer.
      'authorizer.class.name': zookeeper ? 'kafka.security.authorizer.AclAuthorizer' : 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': [...superUsers, 'User:ANONYMOUS'].join(';'),
      'allow.everyone.if.no.acl.found': false,
    });
  }
  return properties;
}

/** The properties file text, one `key=value` a line; a backslash in a value (a path) is escaped as Java's Properties needs. */
export function propertiesText(properties: BrokerProperties): string {
  return (
    Object.entries(properties)
      .map(([key, value]) => `${key}=${String(value).replaceAll('\\', '\\\\')}`)
      .join('\n') + '\n'
  );
}
