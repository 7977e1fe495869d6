import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../src/environment/tls/certificates.js';
import { parseDistinguishedName, renderDistinguishedName } from '../../../src/kafka/distinguished-name.js';

describe('distinguished names', () => {
  it('parses RFC 2253 text and renders it back as Java does', () => {
    const subject = parseDistinguishedName('CN=billing,OU=payments,O=Example Corp,C=DE');
    expect(subject).toEqual([
      { type: 'CN', value: 'billing' },
      { type: 'OU', value: 'payments' },
      { type: 'O', value: 'Example Corp' },
      { type: 'C', value: 'DE' },
    ]);
    expect(renderDistinguishedName(subject!)).toBe('CN=billing,OU=payments,O=Example Corp,C=DE');
  });

  it('unescapes and escapes special characters; refuses what Java would render as an OID or a multi-valued RDN', () => {
    const subject = parseDistinguishedName('CN=Smith\\, John,O=A\\2BB');
    expect(subject).toEqual([
      { type: 'CN', value: 'Smith, John' },
      { type: 'O', value: 'A+B' },
    ]);
    expect(renderDistinguishedName(subject!)).toBe('CN=Smith\\, John,O=A\\+B');
    expect(parseDistinguishedName('EMAILADDRESS=a@b.c,CN=x')).toBeUndefined();
    expect(parseDistinguishedName('CN=a+OU=b')).toBeUndefined();
    expect(parseDistinguishedName('billing')).toBeUndefined();
  });
});

describe('certificate authority', () => {
  const ca = createCertificateAuthority(parseDistinguishedName('CN=test CA,O=kafka-drill')!);

  it('issues a server certificate Node verifies against the CA, with the subject, SANs and purposes asked for', () => {
    const issued = ca.issue({ subject: parseDistinguishedName('CN=broker')!, altNames: ['127.0.0.1', 'localhost'], usage: 'server' });
    const certificate = new X509Certificate(issued.certificatePem);
    const authority = new X509Certificate(ca.certificatePem);
    expect(authority.ca).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(certificate.verify(authority.publicKey)).toBe(true);
    expect(certificate.checkIssued(authority)).toBe(true);
    expect(certificate.subject).toBe('CN=broker');
    expect(certificate.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    // The key belongs to the certificate.
    expect(createPublicKey(createPrivateKey(issued.keyPem)).export({ type: 'spki', format: 'pem' })).toBe(certificate.publicKey.export({ type: 'spki', format: 'pem' }));
  });

  it('writes the subject in issuer order, so it renders as the RFC 2253 text it came from', () => {
    const issued = ca.issue({ subject: parseDistinguishedName('CN=billing,OU=payments,O=Example Corp')!, usage: 'client' });
    const certificate = new X509Certificate(issued.certificatePem);
    expect(certificate.subject.split('\n')).toEqual(['O=Example Corp', 'OU=payments', 'CN=billing']);
    expect(issued.subject).toBe('CN=billing,OU=payments,O=Example Corp');
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('takes validity dates in the past (an expired certificate) and past 2049 (GeneralizedTime)', () => {
    const expired = ca.issue({ subject: [{ type: 'CN', value: 'old' }], usage: 'client', notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    expect(new Date(new X509Certificate(expired.certificatePem).validTo).toISOString()).toBe('2021-01-01T00:00:00.000Z');
    const longLived = ca.issue({ subject: [{ type: 'CN', value: 'long' }], usage: 'client', notAfter: new Date('2060-06-01T12:00:00Z') });
    expect(new Date(new X509Certificate(longLived.certificatePem).validTo).toISOString()).toBe('2060-06-01T12:00:00.000Z');
  });

  it('keeps keys unencrypted PKCS#8 (PEM keystores need no password) and never in the certificate text', () => {
    const issued = ca.issue({ subject: [{ type: 'CN', value: 'x' }], usage: 'client' });
    expect(issued.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(ca.certificatePem + issued.certificatePem).not.toContain('PRIVATE KEY');
  });
});
