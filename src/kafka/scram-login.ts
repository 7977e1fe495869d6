import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Mechanism } from 'kafkajs';

/**
 * kafkajs's own SCRAM login, remembering the one expensive step: the salted password
 * (PBKDF2 over the password with the server's salt and iteration count). kafkajs derives it twice
 * a login and each consumer logs in on two connections, so a drill's probes spent seconds of CPU
 * deriving the same few keys again (4.8 s of 48 s at 5,000 topics, in a CPU profile). The key
 * covers every input of the derivation, so a changed password, salt or count derives afresh,
 * and a wrong password still fails at the broker.
 *
 * The exchange itself is kafkajs's (the version pinned in package.json): its SCRAM class, not
 * part of its public API, is extended here, overriding only `saltPassword`.
 */
interface ScramResponse {
  s: string;
  i: string;
}
interface DigestDefinition {
  type: string;
  length: number;
}
interface KafkajsScram {
  digestDefinition: DigestDefinition;
  encodedPassword(): string;
  saltPassword(response: ScramResponse): Promise<Buffer>;
  authenticate(): Promise<void>;
}
type ScramClass = new (
  sasl: { username: string; password: string },
  host: string,
  port: number,
  logger: unknown,
  saslAuthenticate: unknown,
  digest: DigestDefinition,
) => KafkajsScram;

const { SCRAM, DIGESTS } = createRequire(import.meta.url)('kafkajs/src/broker/saslAuthenticator/scram.js') as {
  SCRAM: ScramClass;
  DIGESTS: { SHA256: DigestDefinition; SHA512: DigestDefinition };
};

/** Salted passwords by digest, iteration count, salt and the password's SHA-256; in this process's memory only, never written. */
const saltedPasswords = new Map<string, Promise<Buffer>>();

class RememberingScram extends SCRAM {
  override saltPassword(response: ScramResponse): Promise<Buffer> {
    const password = createHash('sha256').update(this.encodedPassword()).digest('base64');
    const key = `${this.digestDefinition.type}\u0000${response.i}\u0000${response.s}\u0000${password}`;
    const known = saltedPasswords.get(key);
    if (known) return known;
    const derived = super.saltPassword(response);
    saltedPasswords.set(key, derived);
    derived.catch(() => saltedPasswords.delete(key));
    return derived;
  }
}

/** kafkajs's `sasl` option for a SCRAM login whose salted password is derived once per process. */
export function scramLogin(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: string, password: string): Mechanism {
  const digest = mechanism === 'SCRAM-SHA-256' ? DIGESTS.SHA256 : DIGESTS.SHA512;
  const sasl = { username, password };
  return {
    mechanism: mechanism.toLowerCase(),
    authenticationProvider: ({ host, port, logger, saslAuthenticate }) => ({
      authenticate: () => new RememberingScram(sasl, host, port, logger, saslAuthenticate, digest).authenticate(),
    }),
  };
}
