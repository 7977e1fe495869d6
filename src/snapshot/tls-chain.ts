import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import { InfrastructureError } from '../errors.js';
import type { KafkaConnection } from '../kafka/connection.js';
import type { CertificateRecord } from './schema.js';

/**
 * The certificate chain a TLS listener presents, as a snapshot records it: subjects, SANs,
 * issuers, validity and fingerprints, and each certificate's PEM (public) so trust can be
 * checked later. The handshake accepts whatever is presented (`rejectUnauthorized: false`):
 * recording an untrusted or expired chain is the point; nothing is sent over the connection.
 */
export async function captureTlsChain(connection: KafkaConnection, timeoutMs = 10_000): Promise<CertificateRecord[]> {
  const [host, portText] = splitHostPort(connection.bootstrap[0]!);
  const tls = connection.tls ?? {};
  const peer = await new Promise<PeerCertificate>((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(portText),
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      rejectUnauthorized: false,
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
    });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${timeoutMs / 1000}s`)), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const certificate = socket.getPeerCertificate(true);
      socket.end();
      resolve(certificate);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new InfrastructureError(`recording the TLS certificate chain of ${connection.bootstrap[0]} failed: ${error.message}`));
    });
  });
  const chain: CertificateRecord[] = [];
  const seen = new Set<string>();
  for (
    let current: PeerCertificate | undefined = peer;
    current?.raw && !seen.has(current.fingerprint256);
    current = (current as { issuerCertificate?: PeerCertificate }).issuerCertificate
  ) {
    seen.add(current.fingerprint256);
    chain.push(certificateRecord(new X509Certificate(current.raw)));
  }
  return chain;
}

export function certificateRecord(certificate: X509Certificate): CertificateRecord {
  return {
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    subjectAltNames: certificate.subjectAltName ? certificate.subjectAltName.split(', ') : [],
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    sha256Fingerprint: certificate.fingerprint256,
    pem: certificate.toString(),
  };
}

/** Node prints a name one attribute a line, most general first; a record reads it as RFC 2253 does (CN first). */
function oneLine(name: string): string {
  return name.split('\n').reverse().join(',');
}

function splitHostPort(address: string): [string, string] {
  const index = address.lastIndexOf(':');
  return [address.slice(0, index).replace(/^\[|\]$/g, ''), address.slice(index + 1)];
}

/** PEM certificates in a text (a PEM truststore), each parsed. */
export function pemCertificates(text: string): X509Certificate[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
}

/**
 * Whether the recorded chain leads to a certificate of the truststore: each step's issuer is a
 * trust anchor (signature checked) or the next certificate of the chain. Validity dates are the
 * expiry assumption's business, not this one's.
 */
export function chainTrust(chain: readonly CertificateRecord[], anchors: readonly X509Certificate[]): { trusted: true; anchor: string } | { trusted: false; why: string } {
  const certificates = chain.map((record) => new X509Certificate(record.pem));
  for (let index = 0; index < certificates.length; index++) {
    const current = certificates[index]!;
    const anchor = anchors.find((candidate) => current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (anchor) return { trusted: true, anchor: oneLine(anchor.subject) };
    const next = certificates[index + 1];
    if (!next || !current.checkIssued(next) || !current.verify(next.publicKey)) {
      return { trusted: false, why: `${chain[index]!.subject} (issuer ${chain[index]!.issuer}) is not signed by any certificate of the truststore or of the chain` };
    }
  }
  return { trusted: false, why: 'the chain is empty' };
}
