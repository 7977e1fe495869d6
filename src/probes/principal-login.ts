import { asUser, type KafkaConnection } from '../kafka/connection.js';
import { mechanismOf, userName, type ProbeContext } from './probe.js';
import { securityProfile } from '../model/enums.js';

/**
 * How the matrix logs in as a principal: over SASL with the password the restore set, or in mtls
 * with a client certificate from the drill's CA whose subject the brokers' mapping rules turn
 * into exactly that principal.
 */
export interface PrincipalLogin {
  connectionFor(principal: string): { connection: KafkaConnection; via?: string } | { unavailable: string };
  /** The users (without "User:") the matrix can log in as, among the snapshot's and the spec's principals. */
  usersWithCredentials(expectedPrincipals: readonly string[]): string[];
}

export function principalLogin(context: ProbeContext): PrincipalLogin {
  const { tls } = context;
  if (securityProfile(context.environment.security).clientCertificates && tls) {
    const connectionFor: PrincipalLogin['connectionFor'] = (principal) => {
      const client = tls.clientFor(principal);
      if ('unavailable' in client) return client;
      return { connection: { ...context.connection, sasl: undefined, tls: client.tls }, via: `client certificate ${client.subject}` };
    };
    return {
      connectionFor,
      usersWithCredentials: (expected) =>
        [...new Set([...context.snapshot.acls.map((acl) => acl.principal), ...expected])].filter((principal) => 'connection' in connectionFor(principal)).map(userName),
    };
  }
  const passwordOf = (principal: string) => context.credentials.get(userName(principal)) ?? context.credentials.get(principal);
  return {
    connectionFor(principal) {
      const user = userName(principal);
      const password = passwordOf(principal);
      if (password === undefined) return { unavailable: `the drill has no password for ${user}` };
      return { connection: asUser(context.connection, { mechanism: mechanismOf(context.snapshot, user), username: user, password }) };
    },
    usersWithCredentials: () => [...context.credentials.keys()].map(userName),
  };
}
