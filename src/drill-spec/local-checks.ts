import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkSupportedVersion } from '../runtime/distribution.js';
import { InputError } from '../errors.js';
import { inputLimits, readInputFile, requireRegularFile } from '../input-file.js';
import { loadCommandConfig } from '../kafka/command-config.js';
import { isInside } from '../paths.js';
import { pemCertificates } from '../snapshot/tls-chain.js';
import { formatSpecProblem, type LoadedSpec, type SpecPath } from './load.js';
import type { DrillSpec } from './schema.js';

/**
 * Checks of a loaded spec that need its folder but neither its snapshot nor Kafka: the Kafka
 * versions it names are ones kafka-drill runs, each custom probe module exists inside the
 * spec's folder (a probe runs as code, so it must come with the spec, not from anywhere), its
 * `out` is not a file, every file it names for a secret or a connection can be read (under the
 * same caps as at run time: a FIFO or a device is refused, never waited on), its PostgreSQL
 * URLs parse, and its expectedFailures name probes, clients and versions the drill has.
 * Returns formatted messages (`<file>:<line>: <path>: <message>`), empty when all hold.
 */
export async function localSpecProblems(loaded: LoadedSpec): Promise<string[]> {
  const problems: { path: SpecPath; message: string }[] = [];
  const { kafkaVersion } = loaded.spec.target;
  const versions =
    kafkaVersion === undefined
      ? []
      : Array.isArray(kafkaVersion)
        ? kafkaVersion.map((version, index) => ({ version, path: ['target', 'kafkaVersion', index] }))
        : [{ version: kafkaVersion, path: ['target', 'kafkaVersion'] }];
  for (const { version, path: at } of versions) {
    try {
      checkSupportedVersion(version);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push({ path: at, message: error.message });
    }
  }

  for (const [index, probe] of loaded.spec.probes.entries()) {
    if (probe.type !== 'custom') continue;
    const problem = await moduleProblem(loaded.dir, probe.module);
    if (problem) problems.push({ path: ['probes', index, 'module'], message: problem });
  }

  for (const [index, assumption] of loaded.spec.assumptions.entries()) {
    if (assumption.type !== 'tls-trusted') continue;
    const problem = await truststoreProblem(loaded.dir, assumption.truststore);
    if (problem) problems.push({ path: ['assumptions', index, 'truststore'], message: problem });
  }

  // A live source's client properties are read now, so a typo costs no environment (the cluster itself is reached at run time).
  const commandConfig = loaded.spec.source?.commandConfig;
  if (commandConfig !== undefined) {
    try {
      await loadCommandConfig(path.resolve(loaded.dir, commandConfig));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push({ path: ['source', 'commandConfig'], message: error.message });
    }
  }

  // Environment variables are not checked: on CI a variable may be set only for the run.
  for (const [user, source] of Object.entries(loaded.spec.restore.credentials)) {
    if (!('file' in source)) continue;
    const problem = await secretFileProblem(loaded.dir, source.file, 'password file');
    if (problem) problems.push({ path: ['restore', 'credentials', user, 'file'], message: problem });
  }
  for (const [connector, keys] of Object.entries(loaded.spec.restore.connectorSecrets)) {
    for (const [key, source] of Object.entries(keys)) {
      if (!('file' in source)) continue;
      const problem = await secretFileProblem(loaded.dir, source.file, 'secret file');
      if (problem) problems.push({ path: ['restore', 'connectorSecrets', connector, key, 'file'], message: problem });
    }
  }

  const { target } = loaded.spec;
  if (target.provider === 'external' && target.commandConfig !== undefined) {
    try {
      const bootstrap = (target.bootstrap ?? '')
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean);
      await loadCommandConfig(path.resolve(loaded.dir, target.commandConfig), { bootstrap });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push({ path: ['target', 'commandConfig'], message: error.message });
    }
  }

  for (const [index, probe] of loaded.spec.probes.entries()) {
    if (probe.type !== 'connector-idempotency' || !probe.store || !('postgres' in probe.store) || probe.store.postgres.url === undefined) continue;
    const problem = postgresUrlProblem(probe.store.postgres.url);
    if (problem) problems.push({ path: ['probes', index, 'store', 'postgres', 'url'], message: problem });
  }

  problems.push(...expectedFailureProblems(loaded.spec));

  // A program named by its path (not looked up on PATH) must be a regular file where the step runs it: the spec's folder.
  for (const [index, step] of loaded.spec.manualSteps.entries()) {
    const program = Array.isArray(step.automate?.command) ? step.automate.command[0] : undefined;
    if (program === undefined || !program.includes('/')) continue;
    try {
      requireRegularFile(path.resolve(loaded.dir, program), 'automation command');
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push({ path: ['manualSteps', index, 'automate', 'command', 0], message: error.message });
    }
  }

  if (loaded.outPath !== undefined) {
    const existing = await stat(loaded.outPath).catch(() => undefined);
    if (existing && !existing.isDirectory()) problems.push({ path: ['out'], message: `${JSON.stringify(loaded.spec.out)} exists and is not a folder` });
  }

  return problems
    .map((problem) => ({ ...problem, line: loaded.lineOf(problem.path) }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    .map((problem) => formatSpecProblem(loaded.file, problem.line, problem.path, problem.message));
}

/** A secret file must be a readable regular file within the limit and not empty; its content is never shown. */
async function secretFileProblem(specDir: string, given: string, what: string): Promise<string | undefined> {
  const file = path.resolve(specDir, given);
  try {
    const { text } = await readInputFile(file, what, inputLimits.secretBytes);
    if (text.replace(/\r?\n$/, '') === '') return `${file}: the ${what} is empty`;
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  return undefined;
}

/** Why `url` is not a PostgreSQL connection URL psql accepts, without quoting it: it may hold a password. */
function postgresUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL (expected postgresql://user@host:port/database; the value is not shown, it may hold a password)';
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') return `the scheme is ${JSON.stringify(parsed.protocol)}, expected postgresql:`;
  if (parsed.hostname === '') return 'names no host (expected postgresql://user@host:port/database)';
  if (parsed.pathname.replace(/^\//, '') === '') return 'names no database (expected postgresql://user@host:port/database)';
  return undefined;
}

/** The probes of the client matrix (authorization, offsets, produce-consume) by id, with the client classes each runs through. */
function matrixProbes(spec: DrillSpec): Map<string, readonly string[]> {
  const probes = new Map<string, readonly string[]>();
  spec.probes.forEach((probe, index) => {
    if (probe.type === 'authorization' || probe.type === 'offsets' || probe.type === 'produce-consume')
      probes.set(probe.id ?? `${probe.type}-${index + 1}`, probe.clients ?? spec.clients);
  });
  return probes;
}

/** An expectedFailures entry that can never apply is a mistake: an unknown probe, a client no probe runs through, a version kafka-drill does not run. */
function expectedFailureProblems(spec: DrillSpec): { path: SpecPath; message: string }[] {
  const problems: { path: SpecPath; message: string }[] = [];
  const probes = matrixProbes(spec);
  const known = [...probes.keys()].join(', ') || 'none';
  spec.expectedFailures.forEach((entry, index) => {
    const at = ['expectedFailures', index];
    entry.probes?.forEach((id, probeIndex) => {
      if (!probes.has(id))
        problems.push({
          path: [...at, 'probes', probeIndex],
          message: `probe "${id}" is not a client-matrix probe of this spec (authorization, offsets or produce-consume: ${known})`,
        });
    });
    const named = entry.probes?.filter((id) => probes.has(id)) ?? [...probes.keys()];
    if (named.length > 0 && !named.some((id) => probes.get(id)!.includes(entry.client))) {
      problems.push({
        path: [...at, 'client'],
        message: `client class "${entry.client}" runs none of ${entry.probes ? 'the probes named' : "this spec's client-matrix probes"} (clients: ${[...new Set(named.flatMap((id) => probes.get(id)!))].join(', ')})`,
      });
    }
    entry.kafkaVersions?.forEach((version, versionIndex) => {
      try {
        checkSupportedVersion(version);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        problems.push({ path: [...at, 'kafkaVersions', versionIndex], message: error.message });
      }
    });
  });
  return problems;
}

/** A tls-trusted truststore must be a readable file holding at least one PEM certificate. */
async function truststoreProblem(specDir: string, given: string): Promise<string | undefined> {
  const file = path.resolve(specDir, given);
  try {
    const { text } = await readInputFile(file, 'truststore', inputLimits.propertiesBytes);
    if (pemCertificates(text).length === 0) return `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`;
  } catch (error) {
    if (error instanceof InputError) return error.message;
    return `${file}: not a PEM certificate Node can read: ${(error as Error).message}`;
  }
  return undefined;
}

async function moduleProblem(specDir: string, given: string): Promise<string | undefined> {
  const outside = `${JSON.stringify(given)} is outside the spec's folder: a custom probe module must be inside it`;
  const file = path.resolve(specDir, given);
  if (!isInside(specDir, file)) return outside;
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return `${JSON.stringify(given)} does not exist`;
  }
  // A symbolic link inside the folder may still point out of it.
  if (!isInside(await realpath(specDir), real)) return outside;
  if (!(await stat(real)).isFile()) return `${JSON.stringify(given)} is not a regular file`;
  return undefined;
}
