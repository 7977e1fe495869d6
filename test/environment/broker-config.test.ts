import { describe, expect, it } from 'vitest';
import { brokerProperties, propertiesText, type NodeListeners } from '../../src/environment/broker-config.js';
import { ADMIN_USER } from '../../src/model/enums.js';

const node = (nodeId: number, base: number): NodeListeners => ({ nodeId, host: '127.0.0.1', clientPort: base, internalPort: base + 1, controllerPort: base + 2 });

describe('brokerProperties', () => {
  const nodes = [node(0, 9000), node(1, 9010), node(2, 9020)];

  it("makes every node a voter under its own id and names this node's listeners", () => {
    const properties = brokerProperties({ node: nodes[1]!, nodes, security: 'plaintext', dataDir: '/tmp/x/data', heapMb: 512 });
    expect(properties['node.id']).toBe(1);
    expect(properties['controller.quorum.voters']).toBe('0@127.0.0.1:9002,1@127.0.0.1:9012,2@127.0.0.1:9022');
    expect(properties.listeners).toBe('CLIENT://127.0.0.1:9010,INTERNAL://127.0.0.1:9011,CONTROLLER://127.0.0.1:9012');
    expect(properties['advertised.listeners']).toBe('CLIENT://127.0.0.1:9010,INTERNAL://127.0.0.1:9011');
    expect(properties['listener.security.protocol.map']).toBe('CLIENT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT');
    expect(properties['offsets.topic.replication.factor']).toBe(3);
    expect(properties['offsets.topic.num.partitions']).toBe(5);
    expect(properties['super.users']).toBeUndefined();
  });

  it('binds where told and advertises a mapped client address (a container)', () => {
    const inContainer = { ...node(1001, 9092), host: 'kafka-1001', bindHost: '0.0.0.0', advertisedClient: '127.0.0.1:32768' };
    const properties = brokerProperties({ node: inContainer, nodes: [inContainer], security: 'scram', dataDir: '/var/lib/kafka', heapMb: 512 });
    expect(properties.listeners).toBe('SASL_PLAINTEXT://0.0.0.0:9092,INTERNAL://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094');
    expect(properties['advertised.listeners']).toBe('SASL_PLAINTEXT://127.0.0.1:32768,INTERNAL://kafka-1001:9093');
    expect(properties['controller.quorum.voters']).toBe('1001@kafka-1001:9094');
    expect(properties['super.users']).toBe(`User:${ADMIN_USER};User:ANONYMOUS`);
    expect(properties['offsets.topic.replication.factor']).toBe(1);
    expect(properties['transaction.state.log.min.isr']).toBe(1);
  });

  it('ZooKeeper mode: a broker only, registered under broker.id in ZooKeeper, ACLs by AclAuthorizer, no controller listener', () => {
    const properties = brokerProperties({ node: nodes[1]!, nodes, security: 'scram', dataDir: '/d', heapMb: 512, zookeeperConnect: '127.0.0.1:2181' });
    expect(properties['zookeeper.connect']).toBe('127.0.0.1:2181');
    expect(properties['broker.id']).toBe(1);
    expect(Object.keys(properties).filter((key) => key.startsWith('controller.') || key === 'process.roles' || key === 'node.id')).toEqual([]);
    expect(properties.listeners).toBe('SASL_PLAINTEXT://127.0.0.1:9010,INTERNAL://127.0.0.1:9011');
    expect(properties['listener.security.protocol.map']).toBe('SASL_PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT');
    expect(properties['authorizer.class.name']).toBe('kafka.security.authorizer.AclAuthorizer');
    expect(properties['super.users']).toBe(`User:${ADMIN_USER};User:ANONYMOUS`);
  });

  it("takes the drill's offsets topic size and caps replication at 3 for 5 nodes", () => {
    const five = [0, 1, 2, 3, 4].map((id) => node(id, 9000 + id * 10));
    const properties = brokerProperties({ node: five[4]!, nodes: five, security: 'plaintext', dataDir: '/d', offsetsTopicPartitions: 2, heapMb: 384 });
    expect(properties['offsets.topic.num.partitions']).toBe(2);
    expect(properties['offsets.topic.replication.factor']).toBe(3);
    expect(properties['transaction.state.log.min.isr']).toBe(2);
  });

  it("sizes the log cleaner's dedupe buffer from the heap: an eighth, not Kafka's 128 MiB a restarted cleaner allocates twice", () => {
    const one = [node(1, 9000)];
    const sized = (heapMb: number) => brokerProperties({ node: one[0]!, nodes: one, security: 'plaintext', dataDir: '/d', heapMb })['log.cleaner.dedupe.buffer.size'];
    expect([sized(384), sized(512), sized(2048)]).toEqual([48 * 1024 * 1024, 64 * 1024 * 1024, 256 * 1024 * 1024]);
  });
});

describe('brokerProperties in the TLS modes', () => {
  const single = [node(1, 9000)];
  const tls = { keystorePath: '/env/tls/broker.pem', truststorePath: '/env/tls/ca.pem' };

  it('mtls: an SSL client listener with PEM stores, client certificates required, the mapping rules and the admin certificate as super user', () => {
    const properties = brokerProperties({
      node: single[0]!,
      nodes: single,
      security: 'mtls',
      dataDir: '/d',
      heapMb: 512,
      tls,
      adminPrincipal: 'User:CN=kafka-drill-admin,OU=kafka-drill',
      principalMappingRules: 'RULE:^CN=([a-z]*),.*$/$1/L,DEFAULT',
    });
    expect(properties.listeners).toBe('SSL://127.0.0.1:9000,INTERNAL://127.0.0.1:9001,CONTROLLER://127.0.0.1:9002');
    expect(properties['listener.security.protocol.map']).toBe('SSL:SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT');
    expect(properties).toMatchObject({
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': '/env/tls/broker.pem',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': '/env/tls/ca.pem',
      'ssl.client.auth': 'required',
      'ssl.principal.mapping.rules': 'RULE:^CN=([a-z]*),.*$/$1/L,DEFAULT',
      'super.users': 'User:CN=kafka-drill-admin,OU=kafka-drill;User:ANONYMOUS',
    });
    // No store or key password: the PEM key is unencrypted, in a file only the drill can read.
    expect(Object.keys(properties).filter((key) => key.includes('password'))).toEqual([]);
  });

  it('sasl_ssl: SCRAM on a SASL_SSL listener; ssl: TLS only, ACLs stored (authorizer on) for clients that are all ANONYMOUS', () => {
    const saslSsl = brokerProperties({ node: single[0]!, nodes: single, security: 'sasl_ssl', dataDir: '/d', tls, heapMb: 512 });
    expect(saslSsl['listener.security.protocol.map']).toBe('SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT');
    expect(saslSsl['listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config']).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required;');
    expect(saslSsl['ssl.client.auth']).toBeUndefined();
    expect(saslSsl['super.users']).toBe(`User:${ADMIN_USER};User:ANONYMOUS`);
    const ssl = brokerProperties({ node: single[0]!, nodes: single, security: 'ssl', dataDir: '/d', tls, heapMb: 512 });
    expect(ssl['advertised.listeners']).toBe('SSL://127.0.0.1:9000,INTERNAL://127.0.0.1:9001');
    expect(ssl['sasl.enabled.mechanisms']).toBeUndefined();
    expect(ssl['authorizer.class.name']).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(() => brokerProperties({ node: single[0]!, nodes: single, security: 'ssl', dataDir: '/d', heapMb: 512 })).toThrow(/TLS files/);
  });
});

describe('propertiesText', () => {
  it('writes one key=value a line and escapes backslashes, keeping spaces and + in paths', () => {
    expect(propertiesText({ 'log.dirs': '/tmp/a b+c/data', 'node.id': 3, weird: 'C:\\kafka' })).toBe('log.dirs=/tmp/a b+c/data\nnode.id=3\nweird=C:\\\\kafka\n');
  });
});
