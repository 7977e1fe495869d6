import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import type { TlsOptions } from '../../kafka/connection.js';
import {
  adminSubjectFor,
  DEFAULT_MAPPING_RULES,
  mappingRulesProblem,
  parseMappingRules,
  principalNameOf,
  subjectForPrincipal,
  type MappingRule,
} from '../../kafka/principal-mapping.js';
import { renderDistinguishedName } from '../../kafka/distinguished-name.js';
import { createCertificateAuthority, type CertificateAuthority } from './certificates.js';
import type { BrokerConfigInput } from '../broker-config.js';
import { securityProfile, type SecurityMode } from '../../model/enums.js';

/**
 * A drill's TLS material: a CA made for this drill alone, the brokers' certificate, and (mtls)
 * the drill admin's client certificate. Files go to `<workDir>/tls` (keys mode 0600, removed
 * with the environment); no key is ever encrypted, so there is no password anywhere. Client
 * certificates for probes are issued in memory and handed to clients as PEM.
 */
/** What a started environment offers TLS clients. */
export interface EnvironmentTls {
  /** PEM file of the drill's CA: the truststore of every client. */
  truststorePath: string;
  /** mtls: PEM file with the drill admin's key and certificate (for Java clients such as Connect workers). */
  adminKeystorePath?: string;
  /** mtls: the principal Kafka gives the drill admin's certificate (a super user), and that certificate's subject. */
  adminPrincipal?: string;
  adminSubject?: string;
  /** mtls: the mapping rules the brokers run with (the snapshot's, else DEFAULT). */
  principalMappingRules?: string;
  /**
   * mtls: TLS options (the drill's CA, a fresh client certificate) for a client that Kafka will
   * see as `principal`, or why no certificate subject maps to it under the brokers' rules.
   */
  clientFor(principal: string): { tls: TlsOptions; subject: string } | { unavailable: string };
}

export interface PreparedTls extends EnvironmentTls {
  /** PEM file with the brokers' key, certificate and CA (ssl.keystore.type=PEM). */
  brokerKeystorePath: string;
  /** How the drill's admin connects. */
  adminTls: TlsOptions;
}

/**
 * Makes the CA and the certificates. `brokerHosts` are the names and addresses clients use to
 * reach the brokers (the certificate's subjectAltName). Mapping rules that cannot be parsed, or
 * that map no subject the drill can give its admin, are bad input.
 */
export async function prepareTls(workDir: string, mode: SecurityMode, brokerHosts: readonly string[], mappingRules?: string): Promise<PreparedTls> {
  const dir = join(workDir, 'tls');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = createCertificateAuthority([
    { type: 'CN', value: 'kafka-drill drill CA' },
    { type: 'O', value: 'kafka-drill' },
  ]);
  const broker = ca.issue({ subject: [{ type: 'CN', value: 'kafka-drill broker' }], altNames: brokerHosts, usage: 'server-and-client' });
  const truststorePath = join(dir, 'ca.pem');
  const brokerKeystorePath = join(dir, 'broker.pem');
  await writeFile(truststorePath, ca.certificatePem, { mode: 0o644 });
  await writeFile(brokerKeystorePath, broker.keyPem + broker.certificatePem + ca.certificatePem, { mode: 0o600 });
  if (!securityProfile(mode).clientCertificates) {
    return {
      truststorePath,
      brokerKeystorePath,
      adminTls: { ca: ca.certificatePem },
      clientFor: () => ({ unavailable: 'client certificates are only used in security mode mtls' }),
    };
  }

  const rulesText = mappingRules ?? DEFAULT_MAPPING_RULES;
  const problem = mappingRulesProblem(rulesText);
  if (problem) throw new InputError(problem);
  const rules = parseMappingRules(rulesText)!;
  const adminSubject = adminSubjectFor(rules)!;
  const adminName = principalNameOf(rules, renderDistinguishedName(adminSubject))!;
  const admin = ca.issue({ subject: adminSubject, usage: 'client' });
  const adminKeystorePath = join(dir, 'admin.pem');
  await writeFile(adminKeystorePath, admin.keyPem + admin.certificatePem, { mode: 0o600 });
  return {
    truststorePath,
    brokerKeystorePath,
    adminKeystorePath,
    adminPrincipal: `User:${adminName}`,
    adminSubject: admin.subject,
    principalMappingRules: rulesText,
    adminTls: { ca: ca.certificatePem, cert: admin.certificatePem, key: admin.keyPem },
    clientFor: clientIssuer(ca, rules, rulesText),
  };
}

/** The broker-config inputs for this material, with the paths the brokers see (a container's differ). */
export function tlsBrokerInput(tls: PreparedTls | undefined, paths?: { keystorePath: string; truststorePath: string }): Partial<BrokerConfigInput> {
  if (!tls) return {};
  return {
    tls: paths ?? { keystorePath: tls.brokerKeystorePath, truststorePath: tls.truststorePath },
    ...(tls.adminPrincipal ? { adminPrincipal: tls.adminPrincipal } : {}),
    ...(tls.principalMappingRules !== undefined ? { principalMappingRules: tls.principalMappingRules } : {}),
  };
}

/** What the started environment exposes: no broker key, no admin key in memory beyond the issuer's. */
export function environmentTls(tls: PreparedTls): EnvironmentTls {
  const { truststorePath, adminKeystorePath, adminPrincipal, adminSubject, principalMappingRules, clientFor } = tls;
  return {
    truststorePath,
    clientFor,
    ...(adminKeystorePath ? { adminKeystorePath } : {}),
    ...(adminPrincipal ? { adminPrincipal } : {}),
    ...(adminSubject ? { adminSubject } : {}),
    ...(principalMappingRules !== undefined ? { principalMappingRules } : {}),
  };
}

function clientIssuer(ca: CertificateAuthority, rules: MappingRule[], rulesText: string): EnvironmentTls['clientFor'] {
  const issued = new Map<string, { tls: TlsOptions; subject: string } | { unavailable: string }>();
  return (principal) => {
    const known = issued.get(principal);
    if (known) return known;
    let answer: { tls: TlsOptions; subject: string } | { unavailable: string };
    if (!principal.startsWith('User:') || principal === 'User:*' || principal === 'User:ANONYMOUS') {
      answer = { unavailable: `${principal} is not a principal a client certificate can stand for` };
    } else {
      const subject = subjectForPrincipal(rules, principal.slice('User:'.length));
      if (!subject) answer = { unavailable: `no certificate subject maps to ${principal} under ssl.principal.mapping.rules ${rulesText}` };
      else {
        const certificate = ca.issue({ subject, usage: 'client' });
        answer = { tls: { ca: ca.certificatePem, cert: certificate.certificatePem, key: certificate.keyPem }, subject: certificate.subject };
      }
    }
    issued.set(principal, answer);
    return answer;
  };
}
