import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

import { ATTRIBUTE_OIDS, renderDistinguishedName, type Rdn } from '../../kafka/distinguished-name.js';

/**
 * A certificate authority for one drill, with Node's crypto only (no openssl, no keytool): keys
 * are EC P-256, certificates X.509 v3 signed with ECDSA-SHA256, written as DER by hand below.
 * Subjects are distinguished names (src/kafka/distinguished-name.ts).
 */

export interface IssuedCertificate {
  /** PEM of the certificate alone. */
  certificatePem: string;
  /** PEM (PKCS#8, unencrypted) of its private key: never written outside the drill's directory. */
  keyPem: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateRequest {
  subject: readonly Rdn[];
  /** DNS names and IP addresses for the subjectAltName extension (servers). */
  altNames?: readonly string[];
  usage: 'server' | 'client' | 'server-and-client';
  notBefore?: Date;
  notAfter?: Date;
}

export interface CertificateAuthority {
  certificatePem: string;
  subject: string;
  issue(request: CertificateRequest): IssuedCertificate;
}

const DAY_MS = 86_400_000;

/** A fresh CA: a self-signed certificate whose key stays in this object. */
export function createCertificateAuthority(subject: readonly Rdn[], validity: { notBefore?: Date; notAfter?: Date } = {}): CertificateAuthority {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = keyIdentifier(spki);
  const notBefore = validity.notBefore ?? new Date(Date.now() - DAY_MS);
  const notAfter = validity.notAfter ?? new Date(Date.now() + 30 * DAY_MS);
  const caExtensions = [
    extension('2.5.29.19', true, seq(boolean(true))),
    extension('2.5.29.15', true, keyUsageBits(KEY_CERT_SIGN | CRL_SIGN | DIGITAL_SIGNATURE)),
    extension('2.5.29.14', false, octetString(keyId)),
  ];
  const certificate = signCertificate({ issuer: subject, subject, spki, notBefore, notAfter, extensions: caExtensions, signer: privateKey });
  const certificatePem = pem('CERTIFICATE', certificate);
  return {
    certificatePem,
    subject: renderDistinguishedName(subject),
    issue(request) {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const leafSpki = pair.publicKey.export({ type: 'spki', format: 'der' });
      const leafNotBefore = request.notBefore ?? notBefore;
      const leafNotAfter = request.notAfter ?? notAfter;
      const purposes = request.usage === 'server' ? [SERVER_AUTH] : request.usage === 'client' ? [CLIENT_AUTH] : [SERVER_AUTH, CLIENT_AUTH];
      const extensions = [
        extension('2.5.29.19', true, seq()),
        extension('2.5.29.15', true, keyUsageBits(DIGITAL_SIGNATURE)),
        extension('2.5.29.37', false, seq(...purposes.map(oid))),
        extension('2.5.29.14', false, octetString(keyIdentifier(leafSpki))),
        extension('2.5.29.35', false, seq(der(0x80, keyId))),
      ];
      if (request.altNames?.length) extensions.push(extension('2.5.29.17', false, seq(...request.altNames.map(altName))));
      const leaf = signCertificate({
        issuer: subject,
        subject: request.subject,
        spki: leafSpki,
        notBefore: leafNotBefore,
        notAfter: leafNotAfter,
        extensions,
        signer: privateKey,
      });
      return {
        certificatePem: pem('CERTIFICATE', leaf),
        keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        subject: renderDistinguishedName(request.subject),
        notBefore: leafNotBefore,
        notAfter: leafNotAfter,
      };
    },
  };
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
// keyUsage bits, numbered from the most significant bit of the first byte.
const DIGITAL_SIGNATURE = 0x80;
const KEY_CERT_SIGN = 0x04;
const CRL_SIGN = 0x02;

interface CertificateContent {
  issuer: readonly Rdn[];
  subject: readonly Rdn[];
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
  signer: KeyObject;
}

function signCertificate(content: CertificateContent): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and without a leading zero byte
  const algorithm = seq(oid(ECDSA_WITH_SHA256));
  const tbs = seq(
    der(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    encodeName(content.issuer),
    seq(time(content.notBefore), time(content.notAfter)),
    encodeName(content.subject),
    content.spki,
    der(0xa3, seq(...content.extensions)),
  );
  // ECDSA signatures from Node are DER (r, s) already, as X.509 wants them.
  return seq(tbs, algorithm, bitString(sign('sha256', tbs, content.signer)));
}

/** A Name is issuer-order (most general first): the reverse of RFC 2253's text order. */
function encodeName(rdns: readonly Rdn[]): Buffer {
  return seq(
    ...[...rdns].reverse().map((rdn) => {
      const value =
        rdn.type === 'C' ? der(0x13, Buffer.from(rdn.value, 'ascii')) : rdn.type === 'DC' ? der(0x16, Buffer.from(rdn.value, 'ascii')) : der(0x0c, Buffer.from(rdn.value, 'utf8'));
      return der(0x31, seq(oid(ATTRIBUTE_OIDS[rdn.type]), value));
    }),
  );
}

function altName(name: string): Buffer {
  if (isIP(name) === 4) return der(0x87, Buffer.from(name.split('.').map(Number)));
  return der(0x82, Buffer.from(name, 'ascii'));
}

function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function keyUsageBits(bits: number): Buffer {
  let unused = 0;
  while (unused < 7 && (bits & (1 << unused)) === 0) unused++;
  return der(0x03, Buffer.from([unused, bits]));
}

function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-11-30T14:49:58.123Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? der(0x17, Buffer.from(`${digits.slice(2)}Z`)) : der(0x18, Buffer.from(`${digits}Z`));
}

function der(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}

function seq(...items: Buffer[]): Buffer {
  return der(0x30, Buffer.concat(items));
}

function integer(value: Buffer): Buffer {
  return der(0x02, value[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

function boolean(value: boolean): Buffer {
  return der(0x01, Buffer.from([value ? 0xff : 0]));
}

function octetString(value: Buffer): Buffer {
  return der(0x04, value);
}

function bitString(value: Buffer): Buffer {
  return der(0x03, Buffer.concat([Buffer.from([0]), value]));
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first! * 40 + second!];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function pem(label: string, body: Buffer): string {
  const base64 = body.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}
