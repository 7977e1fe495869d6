import { errorMessage } from '../errors.js';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { alterClientQuotasV1, createAclsV3, type Connection } from '@platformatic/kafka';
import { inputLimits, readInputFile } from '../input-file.js';
import { aclToWire, describeAclsOn, describeAllAcls } from '../kafka/acls.js';
import { kafkaErrorName } from '../kafka/errors.js';
import { describeAllQuotas } from '../kafka/quotas.js';
import { brokerConnection, connectionsTo, errorName, sendForResponse } from '../kafka/raw.js';
import { drillAdminNames } from '../kafka/principal-mapping.js';
import { describeScramCredentials, describeScramCredentialsOn, upsertScramCredentials, type ScramUpsertion } from '../kafka/scram.js';
import { aclKey, quotaEntityLabel, withoutUsers, type Acl, type Quota } from '../snapshot/schema.js';
import { PhaseRecorder, sendInChunks, type PhaseResult, type RestoreContext } from './phase.js';
import { servedPollDelayMs } from './topics.js';
import type { CredentialSource } from '../drill-spec/schema.js';

/** Security in the order Kafka checks it: who you are (SCRAM), what you may do (ACLs), how much (quotas). */
export async function restoreSecurity(context: RestoreContext, recorder = new PhaseRecorder('security')): Promise<PhaseResult> {
  const snapshot = withoutDrillAdmin(context.snapshot, recorder);
  const own = { ...context, snapshot };
  recorder.plan(snapshot.scramUsers.length + snapshot.acls.length + snapshot.quotas.length);
  await restoreScramUsers(own, recorder);
  const heldAcls = await restoreAcls(own, recorder);
  await restoreQuotas(own, recorder);
  await untilEveryBrokerSees(own, recorder, heldAcls);
  return recorder.finish();
}

/**
 * In KRaft each broker logs clients in and authorizes them from its own copy of the metadata log,
 * which catches up with the controller a little after a write is acknowledged (seen here: a
 * restored user refused at login by one of three 3.9.2 brokers, its other checks allowed). The
 * phase ends once every broker, asked directly, shows every credential (user, mechanism,
 * iterations) and every ACL binding the restore holds, so probes start on brokers that have caught
 * up. A broker applies metadata in log order and creates every new partition's log before it
 * applies the next delta: with ACLs written while it still creates a large restore's logs, they
 * showed ~27 s later at 1,000 topics ×3. So the wait backs off like the topics phase's and lasts as
 * long as the restore's other waits for the broker (transientDeadlineMs); a broker still behind
 * then, or one that cannot be asked, is a finding.
 */
async function untilEveryBrokerSees({ admin, snapshot, credentials, transientDeadlineMs }: RestoreContext, recorder: PhaseRecorder, heldAcls: Set<string>): Promise<void> {
  const credentialKey = (user: string, mechanism: string, iterations: number) => `${user}\u0000${mechanism}\u0000${iterations}`;
  const users = snapshot.scramUsers.filter((user) => credentials.has(user.name));
  const wantedCredentials = new Set(users.flatMap((user) => user.credentials.map((c) => credentialKey(user.name, c.mechanism, c.iterations))));
  if (wantedCredentials.size === 0 && heldAcls.size === 0) return;
  const lagOf = async (brokerId: number, connection: Connection): Promise<string | undefined> => {
    try {
      recorder.requests += (wantedCredentials.size > 0 ? 1 : 0) + (heldAcls.size > 0 ? 1 : 0);
      const seen =
        wantedCredentials.size > 0
          ? (
              await describeScramCredentialsOn(
                connection,
                users.map((user) => user.name),
              )
            ).filter((c) => wantedCredentials.has(credentialKey(c.user, c.mechanism, c.iterations))).length
          : 0;
      const acls = heldAcls.size > 0 ? (await describeAclsOn(connection)).filter((acl) => heldAcls.has(aclKey(acl as Acl))).length : 0;
      if (seen < wantedCredentials.size || acls < heldAcls.size)
        return `broker ${brokerId} (${seen} of ${wantedCredentials.size} credentials, ${acls} of ${heldAcls.size} ACL bindings)`;
      return undefined;
    } catch (error) {
      return `broker ${brokerId} (cannot be asked: ${errorMessage(error)})`;
    }
  };
  const deadline = Date.now() + transientDeadlineMs;
  let lagging: string[] = [];
  try {
    const brokerIds = [...(await recorder.request(admin.metadata({ topics: [] }))).brokers.keys()];
    for (let poll = 0; ; poll++) {
      const connections = await connectionsTo(admin, brokerIds).catch(() => undefined);
      lagging = connections
        ? (await Promise.all([...connections].map(([brokerId, connection]) => lagOf(brokerId, connection)))).filter((lag) => lag !== undefined)
        : [`brokers ${brokerIds.join(', ')} (cannot all be reached)`];
      if (lagging.length === 0) return;
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, servedPollDelayMs(poll)));
    }
  } catch (error) {
    lagging = [`the cluster's brokers cannot be listed (${errorMessage(error)})`];
  }
  recorder.finding(
    'security-not-visible',
    'warning',
    'cluster',
    `${lagging.join(', ')} after ${Math.round(transientDeadlineMs / 1000)} s: a client of that broker may be refused what the restore granted`,
  );
}

/**
 * The drill logs in as its own admin: a snapshot's user of that name, or a quota of its
 * certificate's subject (one captured from a kafka-drill environment before capture left them
 * out), would replace its password, and throttle it. Names the snapshot's own rules make of that
 * subject are not matched: they may be a real user's. Neither is restored; each is a finding, and verify
 * counts it as expected.
 */
function withoutDrillAdmin(snapshot: RestoreContext['snapshot'], recorder: PhaseRecorder): RestoreContext['snapshot'] {
  const { scramUsers, quotas, removedUsers, removedQuotas } = withoutUsers(snapshot, drillAdminNames());
  const why = "not restored: the drill's own admin user, a reserved name (the drill's admin stands in for it)";
  for (const user of removedUsers) recorder.finding('drill-admin-not-restored', 'info', `scram-user ${user}`, why);
  for (const quota of removedQuotas) recorder.finding('drill-admin-not-restored', 'info', `quota ${quotaEntityLabel(quota.entity)}`, why);
  return { ...snapshot, scramUsers, quotas };
}

/** A user's password, or why the drill has none: no source (a generated one and a manual step), or a declared source that cannot be read. */
type ResolvedPassword = { password: string; noSource?: true } | { unreadable: string };

function describeSource(source: CredentialSource): string {
  return 'env' in source ? `environment variable ${source.env}` : 'file' in source ? `file ${source.file}` : 'generate';
}

/** Reads declared sources once each: a "*" source serves every user. Never invents a password for a declared env or file source. */
function passwordResolver(baseDir: string) {
  const reads = new Map<string, Promise<ResolvedPassword>>();
  const read = async (source: { env: string } | { file: string }): Promise<ResolvedPassword> => {
    if ('env' in source) {
      const value = process.env[source.env];
      return value ? { password: value } : { unreadable: `${describeSource(source)} is not set` };
    }
    const file = isAbsolute(source.file) ? source.file : join(baseDir, source.file);
    try {
      const value = (await readInputFile(file, 'password file', inputLimits.secretBytes)).text.replace(/\r?\n$/, '');
      return value ? { password: value } : { unreadable: `${describeSource(source)} is empty` };
    } catch (error) {
      // The message names the file and why (missing, not a regular file, too big), never its content.
      return { unreadable: `${describeSource(source)} cannot be read (${(error as Error).message})` };
    }
  };
  return (source: CredentialSource | undefined): Promise<ResolvedPassword> => {
    if (!source) return Promise.resolve({ password: randomBytes(18).toString('base64url'), noSource: true });
    if ('generate' in source) return Promise.resolve({ password: randomBytes(18).toString('base64url') });
    const key = JSON.stringify(source);
    if (!reads.has(key)) reads.set(key, read(source));
    return reads.get(key)!;
  };
}

/** Looks a user up under its bare name, as "User:<name>", then under "*" (every other user). */
function credentialSourceFor(context: RestoreContext, user: string): CredentialSource | undefined {
  const sources = context.options.credentials ?? {};
  return sources[user] ?? sources[`User:${user}`] ?? sources['*'];
}

async function restoreScramUsers(context: RestoreContext, recorder: PhaseRecorder) {
  const { admin, snapshot } = context;
  if (snapshot.scramUsers.length === 0) return;
  const existing = await recorder.request(describeScramCredentials(admin, null));
  const existingKeys = new Set(existing.map((c) => `${c.user}\u0000${c.mechanism}\u0000${c.iterations}`));
  const existingUsers = new Set(existing.map((c) => c.user));
  const resolvePassword = passwordResolver(context.options.baseDir ?? process.cwd());

  const upsertions: ScramUpsertion[] = [];
  let settled = 0;
  for (const user of snapshot.scramUsers) {
    const missing = user.credentials.filter((c) => !existingKeys.has(`${user.name}\u0000${c.mechanism}\u0000${c.iterations}`));
    const resolved = await resolvePassword(credentialSourceFor(context, user.name));
    if ('unreadable' in resolved) {
      recorder.counts.failed++;
      settled++;
      recorder.finding(
        'credential-source-unreadable',
        'error',
        `scram user ${user.name}`,
        `the drill declares its password in ${resolved.unreadable}; the user's credential was not restored (no password is made up for a declared source)`,
      );
      continue;
    }
    context.options.secrets?.add(resolved.password);
    if (resolved.noSource) {
      recorder.finding('credential-generated', 'warning', `scram user ${user.name}`, 'restored with a generated password: the drill names no credential source for this user');
      recorder.manualSteps.push({
        id: `credential-${user.name}`,
        title: `Supply the real credential for User:${user.name}`,
        phase: 'security',
        estimateMinutes: 10,
        asset: { kind: 'principal', name: `User:${user.name}` },
      });
    }
    if (missing.length === 0) {
      recorder.counts.unchanged++;
      settled++;
      continue;
    }
    context.credentials.set(user.name, resolved.password);
    for (const credential of missing) upsertions.push({ user: user.name, mechanism: credential.mechanism, iterations: credential.iterations, password: resolved.password });
  }
  recorder.advance(settled);
  if (upsertions.length === 0) return;

  // A user's credentials stay in one chunk: chunks are whole users, weighed by their credentials.
  const byUser = new Map<string, ScramUpsertion[]>();
  for (const upsertion of upsertions) byUser.set(upsertion.user, [...(byUser.get(upsertion.user) ?? []), upsertion]);
  const failedUsers = new Set<string>();
  await sendInChunks(
    context,
    recorder,
    [...byUser.values()],
    (credentials) => credentials.length,
    async (chunk) => {
      const errors = await upsertScramCredentials(admin, chunk.flat(), () => recorder.requests++);
      for (const error of errors) {
        failedUsers.add(error.user);
        recorder.finding('scram-refused', 'error', `scram user ${error.user}`, `the target refused the credential: ${error.message}`.trim(), error.error);
      }
    },
    (chunk, error) => {
      for (const [{ user }] of chunk as [ScramUpsertion][]) {
        failedUsers.add(user);
        recorder.finding(
          'scram-refused',
          'error',
          `scram user ${user}`,
          `the request setting the credential failed: ${errorMessage(error)}`,
          kafkaErrorName(error) ?? 'REQUEST_FAILED',
        );
      }
    },
  );
  for (const user of byUser.keys()) {
    if (failedUsers.has(user)) {
      recorder.counts.failed++;
      context.credentials.delete(user);
    } else if (existingUsers.has(user)) recorder.counts.updated++;
    else recorder.counts.created++;
  }
}

function aclObject(acl: Acl): string {
  return `acl ${acl.principal} ${acl.permissionType} ${acl.operation} ${acl.resourceType} ${acl.resourceName} (${acl.patternType}, host ${acl.host})`;
}

/**
 * CreateAcls in chunks (one metadata record a binding); Kafka answers per binding, in request
 * order. Returns the keys of the snapshot's bindings the target holds now.
 */
async function restoreAcls(context: RestoreContext, recorder: PhaseRecorder): Promise<Set<string>> {
  const { admin, snapshot } = context;
  if (snapshot.acls.length === 0) return new Set();
  const existing = new Set((await recorder.request(describeAllAcls(admin))).map((acl) => aclKey(acl as Acl)));
  const missing = snapshot.acls.filter((acl) => !existing.has(aclKey(acl)));
  recorder.counts.unchanged += snapshot.acls.length - missing.length;
  recorder.advance(snapshot.acls.length - missing.length);
  const held = new Set(snapshot.acls.filter((acl) => existing.has(aclKey(acl))).map(aclKey));
  if (missing.length === 0) return held;
  const connection = await brokerConnection(admin);
  await sendInChunks(
    context,
    recorder,
    missing,
    () => 1,
    async (chunk) => {
      const response = await recorder.request(sendForResponse(connection, createAclsV3, chunk.map(aclToWire)));
      response.results.forEach((result, index) => {
        if (result.errorCode === 0) {
          recorder.counts.created++;
          held.add(aclKey(chunk[index]!));
        } else {
          recorder.counts.failed++;
          recorder.finding('acl-refused', 'error', aclObject(chunk[index]!), `the authorizer refused it: ${result.errorMessage ?? ''}`.trim(), errorName(result.errorCode));
        }
      });
    },
    (chunk, error) => {
      for (const acl of chunk) {
        recorder.counts.failed++;
        recorder.finding('acl-refused', 'error', aclObject(acl), `the request creating it failed: ${errorMessage(error)}`, kafkaErrorName(error) ?? 'REQUEST_FAILED');
      }
    },
  );
  return held;
}

async function restoreQuotas(context: RestoreContext, recorder: PhaseRecorder) {
  const { admin, snapshot } = context;
  if (snapshot.quotas.length === 0) return;
  const existing = new Map((await recorder.request(describeAllQuotas(admin))).map((quota) => [quotaEntityLabel(quota.entity as Quota['entity']), quota.values]));
  const entries = snapshot.quotas.flatMap((quota) => {
    const current = existing.get(quotaEntityLabel(quota.entity)) ?? {};
    const ops = [
      ...Object.entries(quota.values)
        .filter(([key, value]) => current[key] !== value)
        .map(([key, value]) => ({ key: key as never, value, remove: false as const })),
      ...Object.keys(current)
        .filter((key) => !(key in quota.values))
        .map((key) => ({ key: key as never, remove: true as const })),
    ];
    if (ops.length === 0) {
      recorder.counts.unchanged++;
      return [];
    }
    return [
      { quota, created: !existing.has(quotaEntityLabel(quota.entity)), entry: { entities: quota.entity.map((p) => ({ entityType: p.type as never, entityName: p.name })), ops } },
    ];
  });
  recorder.advance(snapshot.quotas.length - entries.length);
  if (entries.length === 0) return;
  const connection = await brokerConnection(admin);
  // One metadata record per quota key set or removed.
  await sendInChunks(
    context,
    recorder,
    entries,
    (entry) => entry.entry.ops.length,
    async (chunk) => {
      const response = await recorder.request(
        sendForResponse(
          connection,
          alterClientQuotasV1,
          chunk.map((e) => e.entry),
          false,
        ),
      );
      response.entries.forEach((result, index) => {
        const { quota, created } = chunk[index]!;
        if (result.errorCode === 0) recorder.counts[created ? 'created' : 'updated']++;
        else {
          recorder.counts.failed++;
          recorder.finding(
            'quota-refused',
            'error',
            `quota ${quotaEntityLabel(quota.entity)}`,
            `the target refused it: ${result.errorMessage ?? ''}`.trim(),
            errorName(result.errorCode),
          );
        }
      });
    },
    (chunk, error) => {
      for (const { quota } of chunk) {
        recorder.counts.failed++;
        recorder.finding(
          'quota-refused',
          'error',
          `quota ${quotaEntityLabel(quota.entity)}`,
          `the request setting it failed: ${errorMessage(error)}`,
          kafkaErrorName(error) ?? 'REQUEST_FAILED',
        );
      }
    },
  );
}
