import { alterUserScramCredentialsV0, describeUserScramCredentialsV0, type Admin, type Connection } from '@platformatic/kafka';
import { pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { brokerConnection, errorName, sendForResponse, withPerObjectErrors } from './raw.js';

const pbkdf2Async = promisify(pbkdf2);

/**
 * SCRAM credentials through the low-level typed APIs (the Admin class has no SCRAM calls).
 * Kafka never returns a password or salt: describe yields mechanism and iterations only.
 */
export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

const MECHANISM_IDS: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
const MECHANISM_NAMES: Record<number, ScramMechanism> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };
const HASH: Record<ScramMechanism, { digest: string; bytes: number }> = {
  'SCRAM-SHA-256': { digest: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { digest: 'sha512', bytes: 64 },
};

export interface ScramUserCredential {
  user: string;
  mechanism: ScramMechanism;
  iterations: number;
}

export interface ScramUpsertion extends ScramUserCredential {
  password: string;
}

export interface ScramUserError {
  user: string;
  error: string;
  message: string;
}

/** Every SCRAM credential (users = null) or those of the named users; unknown users are omitted. */
export async function describeScramCredentials(admin: Admin, users: string[] | null = null): Promise<ScramUserCredential[]> {
  return describeScramCredentialsOn(await brokerConnection(admin), users);
}

/** As describeScramCredentials, answered by one broker from its own copy of the metadata. */
export async function describeScramCredentialsOn(connection: Connection, users: string[] | null): Promise<ScramUserCredential[]> {
  const response = await withPerObjectErrors(describeUserScramCredentialsV0.api.async(connection, users === null ? (null as unknown as []) : users.map((name) => ({ name }))));
  const RESOURCE_NOT_FOUND = 91;
  const credentials: ScramUserCredential[] = [];
  for (const result of response.results) {
    if (result.errorCode === RESOURCE_NOT_FOUND) continue;
    if (result.errorCode !== 0) throw new Error(`describing SCRAM credentials of ${result.user}: ${errorName(result.errorCode)} ${result.errorMessage ?? ''}`.trim());
    for (const info of result.credentialInfos) {
      const mechanism = MECHANISM_NAMES[info.mechanism];
      if (mechanism) credentials.push({ user: result.user, mechanism, iterations: info.iterations });
    }
  }
  return credentials;
}

/**
 * Creates or replaces credentials. Kafka refuses a request that alters one user twice
 * (DUPLICATE_RESOURCE), so a user's mechanisms go in separate rounds: one request per
 * mechanism at most, whatever the number of users. Salted passwords are computed on libuv's
 * thread pool (PBKDF2 with thousands of iterations per credential would otherwise block the
 * event loop). Callers keep `upsertions` under KRaft's per-request record limit.
 */
export async function upsertScramCredentials(admin: Admin, upsertions: ScramUpsertion[], onRequest: () => void = () => {}): Promise<ScramUserError[]> {
  if (upsertions.length === 0) return [];
  const connection = await brokerConnection(admin);
  const rounds: ScramUpsertion[][] = [];
  const roundCount = new Map<string, number>();
  for (const upsertion of upsertions) {
    const index = roundCount.get(upsertion.user) ?? 0;
    roundCount.set(upsertion.user, index + 1);
    (rounds[index] ??= []).push(upsertion);
  }
  const errors: ScramUserError[] = [];
  for (const round of rounds) {
    const request = await Promise.all(
      round.map(async ({ user, mechanism, iterations, password }) => {
        const salt = randomBytes(32);
        const { digest, bytes } = HASH[mechanism];
        return { name: user, mechanism: MECHANISM_IDS[mechanism], iterations, salt, saltedPassword: await pbkdf2Async(password, salt, iterations, bytes, digest) };
      }),
    );
    onRequest();
    const response = await sendForResponse(connection, alterUserScramCredentialsV0, [], request);
    for (const result of response.results) {
      if (result.errorCode !== 0) errors.push({ user: result.user, error: errorName(result.errorCode), message: result.errorMessage ?? '' });
    }
  }
  return errors;
}

/** Deletes credentials (a user is gone once it has none); one request per mechanism, as above. */
export async function deleteScramCredentials(admin: Admin, credentials: Pick<ScramUserCredential, 'user' | 'mechanism'>[]): Promise<ScramUserError[]> {
  const connection = await brokerConnection(admin);
  const errors: ScramUserError[] = [];
  for (const mechanism of Object.keys(MECHANISM_IDS) as ScramMechanism[]) {
    const deletions = credentials.filter((credential) => credential.mechanism === mechanism).map(({ user }) => ({ name: user, mechanism: MECHANISM_IDS[mechanism] }));
    if (deletions.length === 0) continue;
    const response = await withPerObjectErrors(alterUserScramCredentialsV0.api.async(connection, deletions, []));
    for (const result of response.results) {
      if (result.errorCode !== 0) errors.push({ user: result.user, error: errorName(result.errorCode), message: result.errorMessage ?? '' });
    }
  }
  return errors;
}
