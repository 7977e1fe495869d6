import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { execa } from 'execa';
import { pemCertificates } from '../../src/snapshot/tls-chain.js';
import { createCertificateAuthority } from '../../src/environment/tls/certificates.js';
import { InputError } from '../../src/errors.js';
import { commandConfigConnection, loadCommandConfig, parseJavaProperties } from '../../src/kafka/command-config.js';
import { tempDir } from '../support/temp.js';

const scramJaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="svc-drill" password="p@ss \\"quoted\\" word";';

async function connectionFrom(text: string, options: { bootstrap?: string[] } = {}) {
  return commandConfigConnection(parseJavaProperties(text), 'client.properties', options);
}

async function refusal(text: string, options: { bootstrap?: string[] } = {}): Promise<string> {
  return connectionFrom(text, options).then(
    () => 'accepted',
    (error: unknown) => {
      expect(error).toBeInstanceOf(InputError);
      return (error as Error).message;
    },
  );
}

describe('Java properties syntax', () => {
  it('reads =, : and space separators, comments, continuations and escapes', () => {
    const properties = parseJavaProperties(
      ['# comment', '! also a comment', 'a=1', 'b : 2', 'c 3', '  d=four \\', '     five', 'e=tab\\there \\u00e9', 'key\\=with\\:separators=x', 'empty=', 'a=overridden'].join(
        '\n',
      ),
    );
    expect(Object.fromEntries(properties)).toEqual({ a: 'overridden', b: '2', c: '3', d: 'four five', e: 'tab\there é', 'key=with:separators': 'x', empty: '' });
  });
});

describe('--command-config', () => {
  it('SASL_PLAINTEXT with SCRAM: credentials from the JAAS line, bootstrap from the file', async () => {
    const connection = await connectionFrom(
      `bootstrap.servers=k1:9092, k2:9092\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=${scramJaas.replace(/\\/g, '\\\\')}\nclient.id=drill\nrequest.timeout.ms=30000\n`,
    );
    expect(connection).toEqual({
      bootstrap: ['k1:9092', 'k2:9092'],
      clientId: 'drill',
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'svc-drill', password: 'p@ss "quoted" word' },
    });
  });

  it('a JAAS line continued over several lines, and --bootstrap-server winning over the file', async () => {
    const connection = await connectionFrom(
      'bootstrap.servers=ignored:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n    username="alice" \\\n    password="alice-secret";\n',
      { bootstrap: ['real:9092'] },
    );
    expect(connection).toEqual({ bootstrap: ['real:9092'], sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } });
  });

  it('reads JKS and PKCS12 truststores with keytool, the password through a file; a wrong password is refused without echoing it', async () => {
    const dir = tempDir('cc-truststores');
    const ca = createCertificateAuthority([{ type: 'CN', value: 'Truststore test CA' }]);
    await writeFile(join(dir, 'ca.pem'), ca.certificatePem);
    await writeFile(join(dir, 'password'), 'store-Secret 42', { mode: 0o600 });
    for (const [type, file] of [
      ['JKS', 'truststore.jks'],
      ['PKCS12', 'truststore.p12'],
    ] as const) {
      const keytool = [
        '-importcert',
        '-noprompt',
        '-alias',
        'ca',
        '-file',
        join(dir, 'ca.pem'),
        '-keystore',
        join(dir, file),
        '-storetype',
        type,
        '-storepass:file',
        join(dir, 'password'),
      ];
      await execa('keytool', keytool);
      const base = `bootstrap.servers=k:1\nsecurity.protocol=SSL\nssl.truststore.type=${type}\nssl.truststore.location=${join(dir, file)}`;
      const connection = await connectionFrom(`${base}\nssl.truststore.password=store-Secret 42`);
      expect(pemCertificates(connection.tls!.ca!).map((certificate) => certificate.fingerprint256)).toEqual([new X509Certificate(ca.certificatePem).fingerprint256]);
      const wrong = await refusal(`${base}\nssl.truststore.password=not-the-password`);
      expect(wrong).toMatch(new RegExp(`^client.properties: ssl.truststore.location: cannot read the ${type} truststore .*${file}: .+`));
      expect(wrong).not.toContain('not-the-password');
    }
  });

  it('SASL_SSL with a PEM truststore file and a PEM keystore', async () => {
    const dir = tempDir('cc');
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const keystore = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n';
    await writeFile(join(dir, 'ca.pem'), ca);
    await writeFile(join(dir, 'client.pem'), keystore);
    await writeFile(
      join(dir, 'client.properties'),
      [
        'bootstrap.servers=k1:9093',
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-256',
        `sasl.jaas.config=${scramJaas.replace(/\\/g, '\\\\')}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${join(dir, 'ca.pem')}`,
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${join(dir, 'client.pem')}`,
        'ssl.endpoint.identification.algorithm=https',
        'ssl.enabled.protocols=TLSv1.2,TLSv1.3',
      ].join('\n'),
    );
    const connection = await loadCommandConfig(join(dir, 'client.properties'));
    expect(connection.tls).toEqual({ ca, key: keystore, cert: keystore });
    expect(connection.sasl?.mechanism).toBe('SCRAM-SHA-256');
  });

  it('SSL with inline PEM certificates and keys', async () => {
    const connection = await connectionFrom(
      'bootstrap.servers=k:9093\nsecurity.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.certificates=-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\nssl.keystore.type=PEM\nssl.keystore.key=-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\nssl.keystore.certificate.chain=-----BEGIN CERTIFICATE-----\\nMIIC\\n-----END CERTIFICATE-----\n',
    );
    expect(connection).toEqual({
      bootstrap: ['k:9093'],
      tls: {
        ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
        cert: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----',
      },
    });
  });

  it('refuses what it cannot honour, naming the file and key, never the password', async () => {
    const sasl = (mechanism: string, jaas = scramJaas) =>
      `bootstrap.servers=k:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=${mechanism}\nsasl.jaas.config=${jaas.replace(/\\/g, '\\\\')}\n`;
    const cases: [string, string][] = [
      [sasl('GSSAPI'), 'client.properties: sasl.mechanism: GSSAPI is not supported (use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)'],
      [sasl('OAUTHBEARER'), 'client.properties: sasl.mechanism: OAUTHBEARER is not supported (use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)'],
      [
        `bootstrap.servers=k:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.jaas.config=${scramJaas}`,
        "client.properties: sasl.mechanism: GSSAPI (Kafka's default) is not supported (use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)",
      ],
      ['bootstrap.servers=k:1\nsecurity.protocol=SASL_TLS', 'client.properties: security.protocol: SASL_TLS is not supported (use PLAINTEXT, SASL_PLAINTEXT, SASL_SSL, SSL)'],
      ['security.protocol=PLAINTEXT', 'client.properties: bootstrap.servers: not set (pass --bootstrap-server HOST:PORT or set it in the file)'],
      [
        'bootstrap.servers=k:1\nsecurity.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=/etc/kafka/ca.pem\nssl.truststore.password=changeit',
        'client.properties: ssl.truststore.password: Kafka refuses a password for a PEM truststore (remove it)',
      ],
      [
        'bootstrap.servers=k:1\nsecurity.protocol=SSL\nssl.truststore.type=BCFKS\nssl.truststore.location=/etc/kafka/truststore.bcfks',
        'client.properties: ssl.truststore.type: BCFKS truststores are not supported (use PEM, JKS or PKCS12)',
      ],
      [
        'bootstrap.servers=k:1\nsecurity.protocol=SSL\nssl.endpoint.identification.algorithm=',
        'client.properties: ssl.endpoint.identification.algorithm: an empty value (no hostname verification) is not supported: use a certificate that names the broker host',
      ],
      [
        'bootstrap.servers=k:1\nsecurity.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=/no/such/ca.pem',
        'client.properties: ssl.truststore.location: /no/such/ca.pem: cannot read the PEM file: no such file',
      ],
      [
        'bootstrap.servers=k:1\nsasl.login.callback.handler.class=com.example.Handler',
        'client.properties: sasl.login.callback.handler.class: is not supported by kafka-drill (remove it or connect without it)',
      ],
      [sasl('PLAIN'), 'client.properties: sasl.jaas.config: login module org.apache.kafka.common.security.scram.ScramLoginModule does not match sasl.mechanism PLAIN'],
      [
        sasl('SCRAM-SHA-256', 'com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;'),
        'client.properties: sasl.jaas.config: login module com.sun.security.auth.module.Krb5LoginModule is not supported (use PlainLoginModule or ScramLoginModule)',
      ],
      [
        sasl('SCRAM-SHA-256', 'org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="s3cret'),
        'client.properties: sasl.jaas.config: cannot read the login module options (expected key="value" pairs ending with ";")',
      ],
      [sasl('SCRAM-SHA-256', 'org.apache.kafka.common.security.scram.ScramLoginModule required password="s3cret";'), 'client.properties: sasl.jaas.config: has no username="..."'],
      [`bootstrap.servers=k:1\nsasl.mechanism=PLAIN`, 'client.properties: sasl.mechanism: is set but security.protocol is PLAINTEXT (no SASL)'],
    ];
    for (const [text, message] of cases) {
      const got = await refusal(text);
      expect(got).toBe(message);
      expect(got).not.toMatch(/s3cret|p@ss/);
    }
  });

  it('names the file when it cannot be read, and reads only a regular file', async () => {
    await expect(loadCommandConfig('/no/such/client.properties')).rejects.toThrow('/no/such/client.properties: cannot read the client properties: no such file');
    await expect(loadCommandConfig('/dev/zero')).rejects.toThrow('/dev/zero: cannot read the client properties: a character device, not a regular file');
  });
});
