import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateDeclared, type RestoredState } from '../../src/drill/assumptions.js';
import { createCertificateAuthority } from '../../src/environment/tls/certificates.js';
import { certificateRecord, chainTrust, pemCertificates } from '../../src/snapshot/tls-chain.js';
import type { AssumptionSpec } from '../../src/drill-spec/schema.js';
import { tempDir } from '../support/temp.js';

const sourceCa = createCertificateAuthority([{ type: 'CN', value: 'Source CA' }], { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2030-01-01T00:00:00Z') });
const otherCa = createCertificateAuthority([{ type: 'CN', value: 'Other CA' }]);
const record = (pem: string) => certificateRecord(new X509Certificate(pem));
const broker = sourceCa.issue({
  subject: [{ type: 'CN', value: 'kafka-1' }],
  altNames: ['kafka-1.example.com'],
  usage: 'server',
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2027-01-01T00:00:00Z'),
});
const chain = [record(broker.certificatePem), record(sourceCa.certificatePem)];

describe('recorded TLS chains', () => {
  it('records public parts only: subject, SANs, issuer, validity, fingerprint and the certificate', () => {
    expect(chain[0]).toMatchObject({
      subject: 'CN=kafka-1',
      issuer: 'CN=Source CA',
      subjectAltNames: ['DNS:kafka-1.example.com'],
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2027-01-01T00:00:00.000Z',
    });
    expect(chain[0]!.sha256Fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(JSON.stringify(chain)).not.toContain('PRIVATE KEY');
  });

  it('is trusted by the CA that signed it, not by another one, naming the certificate that breaks the chain', () => {
    expect(chainTrust(chain, pemCertificates(sourceCa.certificatePem))).toEqual({ trusted: true, anchor: 'CN=Source CA' });
    expect(chainTrust([chain[0]!], pemCertificates(otherCa.certificatePem + sourceCa.certificatePem))).toEqual({ trusted: true, anchor: 'CN=Source CA' });
    expect(chainTrust(chain, pemCertificates(otherCa.certificatePem))).toEqual({
      trusted: false,
      why: 'CN=Source CA (issuer CN=Source CA) is not signed by any certificate of the truststore or of the chain',
    });
  });
});

describe('TLS assumptions', () => {
  const dir = tempDir('tls-assumptions');
  writeFileSync(join(dir, 'source-ca.pem'), sourceCa.certificatePem);
  writeFileSync(join(dir, 'other-ca.pem'), otherCa.certificatePem);
  const state = (withChain: boolean, now: string): RestoredState =>
    ({ capture: {} as never, configs: {} as never, specDir: dir, now: new Date(now), ...(withChain ? { sourceTls: { chain } } : {}) }) as RestoredState;
  const specs: AssumptionSpec[] = [
    { type: 'tls-trusted', id: 'trusted', truststore: 'source-ca.pem' },
    { type: 'tls-trusted', id: 'other', truststore: 'other-ca.pem' },
    { type: 'tls-expiry', id: 'expiry', minDaysLeft: 30 },
  ];

  it('hold for a trusted chain far from expiry; fail for another CA and within N days, naming the certificate', () => {
    const far = evaluateDeclared(specs, state(true, '2026-06-01T00:00:00Z'));
    expect(far.map((a) => [a.id, a.status])).toEqual([
      ['trusted', 'held'],
      ['other', 'failed'],
      ['expiry', 'held'],
    ]);
    const near = evaluateDeclared(specs, state(true, '2026-12-15T00:00:00Z'))[2]!;
    expect(near.status).toBe('failed');
    expect(near.observed).toMatch(/^CN=kafka-1 \(expires 2027-01-01T00:00:00\.000Z, sha256 /);
    const after = evaluateDeclared(specs, state(true, '2027-02-01T00:00:00Z'))[2]!;
    expect(after.observed).toMatch(/^CN=kafka-1 \(expired 2027-01-01/);
  });

  it('are skipped, never held, when the snapshot recorded no chain', () => {
    expect(evaluateDeclared(specs, state(false, '2026-06-01T00:00:00Z')).map((a) => a.status)).toEqual(['skipped', 'skipped', 'skipped']);
  });
});
