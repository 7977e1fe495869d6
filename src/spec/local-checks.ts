import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkSupportedVersion } from '../environment/distribution.js';
import { InputError } from '../errors.js';
import { inputLimits, readInputFile } from '../input-file.js';
import { pemCertificates } from '../snapshot/tls-chain.js';
import { formatSpecProblem, type LoadedSpec, type SpecPath } from './load.js';

/**
 * Checks of a loaded spec that need its folder but neither its snapshot nor Kafka: the Kafka
 * versions it names are ones kafka-drill runs, each custom probe module exists inside the
 * spec's folder (a probe runs as code, so it must come with the spec, not from anywhere), and
 * its `out` is not a file.
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

  if (loaded.outPath !== undefined) {
    const existing = await stat(loaded.outPath).catch(() => undefined);
    if (existing && !existing.isDirectory()) problems.push({ path: ['out'], message: `${JSON.stringify(loaded.spec.out)} exists and is not a folder` });
  }

  return problems
    .map((problem) => ({ ...problem, line: loaded.lineOf(problem.path) }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    .map((problem) => formatSpecProblem(loaded.file, problem.line, problem.path, problem.message));
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

/** Whether `file` (absolute) is strictly inside `dir`. */
export function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
