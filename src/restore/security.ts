import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { alterClientQuotasV1, createAclsV3 } from '@platformatic/kafka';
import { aclToWire, describeAllAcls } from '../kafka/acls.js';
import { describeAllQuotas } from '../kafka/quotas.js';
import { brokerConnection, errorName, withPerObjectErrors } from '../kafka/raw.js';
import { describeScramCredentials, upsertScramCredentials, type ScramUpsertion } from '../kafka/scram.js';
import { aclKey, quotaEntityLabel, type Acl, type Quota } from '../snapshot/schema.js';
import { PhaseRecorder, type CredentialSource, type PhaseResult, type RestoreContext } from './phase.js';

/** Security in the order Kafka checks it: who you are (SCRAM), what you may do (ACLs), how much (quotas). */
export async function restoreSecurity(context: RestoreContext): Promise<PhaseResult> {
  const recorder = new PhaseRecorder('security');
  await restoreScramUsers(context, recorder);
  await restoreAcls(context, recorder);
  await restoreQuotas(context, recorder);
  return recorder.finish();
}

interface ResolvedPassword {
  password: string;
  /** Why there is no real password: the manual step the recovery needs. */
  missingReason?: string;
}

async function resolvePassword(user: string, source: CredentialSource | undefined, baseDir: string): Promise<ResolvedPassword> {
  const generated = randomBytes(18).toString('base64url');
  if (!source) return { password: generated, missingReason: 'the drill names no credential source for this user' };
  if ('generate' in source) return { password: generated };
  if ('env' in source) {
    const value = process.env[source.env];
    return value ? { password: value } : { password: generated, missingReason: `environment variable ${source.env} is not set` };
  }
  const file = isAbsolute(source.file) ? source.file : join(baseDir, source.file);
  try {
    const value = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    return value ? { password: value } : { password: generated, missingReason: `credential file ${source.file} is empty` };
  } catch {
    return { password: generated, missingReason: `credential file ${source.file} cannot be read` };
  }
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
  const has = (user: string, mechanism: string, iterations: number) =>
    existing.some((c) => c.user === user && c.mechanism === mechanism && c.iterations === iterations);

  const upsertions: ScramUpsertion[] = [];
  for (const user of snapshot.scramUsers) {
    const missing = user.credentials.filter((c) => !has(user.name, c.mechanism, c.iterations));
    const resolved = await resolvePassword(user.name, credentialSourceFor(context, user.name), context.options.baseDir ?? process.cwd());
    context.options.secrets?.add(resolved.password);
    if (resolved.missingReason) {
      recorder.finding('credential-generated', 'warning', `scram user ${user.name}`, `restored with a generated password: ${resolved.missingReason}`);
      recorder.manualSteps.push({ id: `credential-${user.name}`, title: `Supply the real credential for User:${user.name}`, phase: 'security', estimateMinutes: 10 });
    }
    if (missing.length === 0) {
      recorder.counts.unchanged++;
      continue;
    }
    context.credentials.set(user.name, resolved.password);
    for (const credential of missing) upsertions.push({ user: user.name, mechanism: credential.mechanism, iterations: credential.iterations, password: resolved.password });
  }
  if (upsertions.length === 0) return;
  recorder.requests++;
  const errors = await upsertScramCredentials(admin, upsertions);
  const failedUsers = new Set(errors.map((e) => e.user));
  for (const error of errors) recorder.finding('scram-refused', 'error', `scram user ${error.user}`, `the target refused the credential: ${error.message}`.trim(), error.error);
  for (const user of new Set(upsertions.map((u) => u.user))) {
    if (failedUsers.has(user)) {
      recorder.counts.failed++;
      context.credentials.delete(user);
    } else if (existing.some((c) => c.user === user)) recorder.counts.updated++;
    else recorder.counts.created++;
  }
}

export function describeAcl(acl: Acl): string {
  return `acl ${acl.principal} ${acl.permissionType} ${acl.operation} ${acl.resourceType} ${acl.resourceName} (${acl.patternType}, host ${acl.host})`;
}

async function restoreAcls(context: RestoreContext, recorder: PhaseRecorder) {
  const { admin, snapshot } = context;
  if (snapshot.acls.length === 0) return;
  const existing = new Set((await recorder.request(describeAllAcls(admin))).map((acl) => aclKey(acl as Acl)));
  const missing = snapshot.acls.filter((acl) => !existing.has(aclKey(acl)));
  recorder.counts.unchanged += snapshot.acls.length - missing.length;
  if (missing.length === 0) return;
  const connection = await brokerConnection(admin);
  const response = await recorder.request(
    withPerObjectErrors(
      createAclsV3.api.async(
        connection,
        missing.map(aclToWire),
      ),
    ),
  );
  response.results.forEach((result, index) => {
    const acl = missing[index]!;
    if (result.errorCode === 0) recorder.counts.created++;
    else {
      recorder.counts.failed++;
      recorder.finding('acl-refused', 'error', describeAcl(acl), `the authorizer refused it: ${result.errorMessage ?? ''}`.trim(), errorName(result.errorCode));
    }
  });
}

async function restoreQuotas(context: RestoreContext, recorder: PhaseRecorder) {
  const { admin, snapshot } = context;
  if (snapshot.quotas.length === 0) return;
  const existing = new Map((await recorder.request(describeAllQuotas(admin))).map((quota) => [quotaEntityLabel(quota.entity as Quota['entity']), quota.values]));
  const entries = snapshot.quotas.flatMap((quota) => {
    const current = existing.get(quotaEntityLabel(quota.entity)) ?? {};
    const ops = [
      ...Object.entries(quota.values).filter(([key, value]) => current[key] !== value).map(([key, value]) => ({ key: key as never, value, remove: false as const })),
      ...Object.keys(current).filter((key) => !(key in quota.values)).map((key) => ({ key: key as never, remove: true as const })),
    ];
    if (ops.length === 0) {
      recorder.counts.unchanged++;
      return [];
    }
    return [{ quota, created: !existing.has(quotaEntityLabel(quota.entity)), entry: { entities: quota.entity.map((p) => ({ entityType: p.type as never, entityName: p.name })), ops } }];
  });
  if (entries.length === 0) return;
  const connection = await brokerConnection(admin);
  const response = await recorder.request(withPerObjectErrors(alterClientQuotasV1.api.async(connection, entries.map((e) => e.entry), false)));
  response.entries.forEach((result, index) => {
    const { quota, created } = entries[index]!;
    if (result.errorCode === 0) recorder.counts[created ? 'created' : 'updated']++;
    else {
      recorder.counts.failed++;
      recorder.finding('quota-refused', 'error', `quota ${quotaEntityLabel(quota.entity)}`, `the target refused it: ${result.errorMessage ?? ''}`.trim(), errorName(result.errorCode));
    }
  });
}
