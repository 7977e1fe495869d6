/**
 * The mtls environment against a real broker: the drill's CA, the source's mapping rules on the
 * client listener, the admin's certificate as a super user, client certificates that Kafka maps
 * to exactly the principals the ACLs name, and no key or password outside 0600 files.
 */
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { runSnapshot } from '../../../src/cli/snapshot.js';
import { loadSnapshot } from '../../../src/snapshot/load.js';
import { chainTrust, pemCertificates } from '../../../src/snapshot/tls-chain.js';
import { describe, expect, it } from 'vitest';
import { clientProperties } from '../../../src/environment/client-properties.js';
import { createCertificateAuthority } from '../../../src/environment/tls/certificates.js';
import { resolveDistribution } from '../../../src/runtime/distribution.js';
import { javaBinary } from '../../../src/runtime/java.js';
import { withAdmin } from '../../../src/kafka/admin.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { describeAllQuotas } from '../../../src/kafka/quotas.js';
import { kafkaErrorName } from '../../../src/kafka/errors.js';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, createProbeClient, ResourcePatternTypes } from '../../../src/kafka/probe-client.js';
import { startForTest } from '../../support/kafka.js';

const RULES = 'RULE:^CN=([a-zA-Z0-9.-]*),OU=services,O=Example Corp$/$1/L,DEFAULT';
const BILLING = 'User:CN=billing,OU=payments,O=Example Corp';

async function withClient<T>(connection: KafkaConnection, use: (admin: ReturnType<ReturnType<typeof createProbeClient>['admin']>) => Promise<T>): Promise<T> {
  const admin = createProbeClient(connection, { retries: 0 }).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as { code?: string; cause?: { code?: string }; originalError?: { code?: string } },
  );

describe('mtls environment with mapping rules from the source', async () => {
  const environment = await startForTest({ security: 'mtls', principalMappingRules: RULES });
  const tls = environment.tls!;

  it('keeps keys in 0600 files of its own directory; no key or password in a config or a command line', () => {
    expect(tls.adminPrincipal).toBe('User:CN=kafka-drill-admin,OU=kafka-drill');
    for (const file of ['broker.pem', 'admin.pem']) expect(statSync(join(environment.workDir, 'tls', file)).mode & 0o777).toBe(0o600);
    expect(tls.adminKeystorePath).toBe(join(environment.workDir, 'tls', 'admin.pem'));
    const serverProperties = readFileSync(join(environment.workDir, 'node-1', 'server.properties'), 'utf8');
    expect(serverProperties).toContain(`ssl.principal.mapping.rules=${RULES}`);
    expect(serverProperties).not.toMatch(/PRIVATE KEY|password/i);
    const commandLine = readFileSync(`/proc/${environment.brokers[0]!.pid}/cmdline`, 'utf8');
    expect(commandLine).not.toMatch(/PRIVATE KEY|ssl\.|password/i);
  });

  it("exempts the admin's certificate principal (not a SCRAM name) from restored client quotas", async () => {
    const quotas = await withAdmin(environment.admin, describeAllQuotas);
    expect(quotas.map((quota) => quota.entity)).toContainEqual([{ type: 'user', name: 'CN=kafka-drill-admin,OU=kafka-drill' }]);
  });

  it('lets the admin in by certificate as a super user; a mapped certificate gets exactly its ACLs', async () => {
    await withClient(environment.admin, async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'ledger.entries' }] });
      await admin.createAcls({
        acl: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: 'ledger.entries',
            resourcePatternType: ResourcePatternTypes.LITERAL,
            principal: 'User:ledger',
            host: '*',
            operation: AclOperationTypes.DESCRIBE,
            permissionType: AclPermissionTypes.ALLOW,
          },
        ],
      });
    });
    const ledger = tls.clientFor('User:ledger');
    const billing = tls.clientFor(BILLING);
    if (!('tls' in ledger) || !('tls' in billing)) throw new Error('expected certificates for both principals');
    expect(ledger.subject).toBe('CN=ledger,OU=services,O=Example Corp');
    expect(billing.subject).toBe('CN=billing,OU=payments,O=Example Corp');
    const described = await withClient({ ...environment.admin, tls: ledger.tls }, (admin) => admin.fetchTopicMetadata({ topics: ['ledger.entries'] }));
    expect(described.topics.map((topic) => topic.name)).toEqual(['ledger.entries']);
    const denied = await failureOf(withClient({ ...environment.admin, tls: billing.tls }, (admin) => admin.fetchTopicMetadata({ topics: ['ledger.entries'] })));
    expect(kafkaErrorName(denied)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(tls.clientFor('User:CN=Legacy Reporting, OU=payments')).toEqual({
      unavailable: `no certificate subject maps to User:CN=Legacy Reporting, OU=payments under ssl.principal.mapping.rules ${RULES}`,
    });
  });

  it('refuses, in the TLS handshake, a client without a certificate and one whose certificate another CA signed', async () => {
    const foreign = createCertificateAuthority([{ type: 'CN', value: 'other CA' }]).issue({
      subject: [
        { type: 'CN', value: 'kafka-drill-admin' },
        { type: 'OU', value: 'kafka-drill' },
      ],
      usage: 'client',
    });
    const ca = environment.admin.tls!.ca!;
    for (const clientTls of [{ ca }, { ca, cert: foreign.certificatePem, key: foreign.keyPem }]) {
      const failure = await failureOf(withClient({ ...environment.admin, tls: clientTls }, (admin) => admin.listTopics()));
      const code = failure?.cause?.code ?? failure?.originalError?.code ?? failure?.code;
      expect(code).toMatch(/^ERR_SSL_.*ALERT/);
    }
  });

  it('kafka-drill snapshot over mTLS records the chain the listener presents: public parts only, trusted by the drill CA', async () => {
    const propertiesFile = join(environment.workDir, 'snapshot-client.properties');
    await writeFile(
      propertiesFile,
      [
        `bootstrap.servers=${environment.admin.bootstrap.join(',')}`,
        'security.protocol=SSL',
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${tls.truststorePath}`,
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${tls.adminKeystorePath}`,
      ].join('\n'),
      { mode: 0o600 },
    );
    const out = join(environment.workDir, 'source.json');
    const sink = new PassThrough();
    expect(await runSnapshot(['--command-config', propertiesFile, '--out', out], sink, sink)).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain('PRIVATE KEY');
    const snapshot = await loadSnapshot(out);
    expect(snapshot.tls!.chain.map((record) => [record.subject, record.issuer])).toEqual([
      ['CN=kafka-drill broker', 'CN=kafka-drill drill CA,O=kafka-drill'],
      ['CN=kafka-drill drill CA,O=kafka-drill', 'CN=kafka-drill drill CA,O=kafka-drill'],
    ]);
    expect(snapshot.tls!.chain[0]!.subjectAltNames).toEqual(['IP Address:127.0.0.1', 'DNS:localhost']);
    expect(chainTrust(snapshot.tls!.chain, pemCertificates(readFileSync(tls.truststorePath, 'utf8')))).toEqual({ trusted: true, anchor: 'CN=kafka-drill drill CA,O=kafka-drill' });
  });

  it("lets Kafka's own Java tools in with the client properties the drill writes (PEM files, no passwords)", async () => {
    const propertiesFile = join(environment.workDir, 'client.properties');
    const text = clientProperties(environment.admin, tls);
    expect(text).not.toMatch(/PRIVATE KEY|password/i);
    await writeFile(propertiesFile, text, { mode: 0o600 });
    const distribution = await resolveDistribution(environment.kafkaVersion);
    const listed = await execa(javaBinary(), [
      '-Xmx256m',
      '-cp',
      join(distribution.libsDir, '*'),
      'org.apache.kafka.tools.TopicCommand',
      '--bootstrap-server',
      environment.admin.bootstrap.join(','),
      '--command-config',
      propertiesFile,
      '--list',
    ]);
    expect(listed.stdout.split('\n')).toContain('ledger.entries');
  });
});
