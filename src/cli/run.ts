import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCommandConfig } from '../kafka/command-config.js';
import { captureSnapshot } from '../snapshot/capture.js';
import type { LoadedSpec } from '../drill-spec/load.js';
import { createProgressDisplay } from '../drill/progress-display.js';
import { startDrill, type DrillHandle } from '../drill/runner.js';
import type { Result } from '../model/result.js';
import { checkSupportedVersion, installKafka, versionForSnapshot } from '../runtime/distribution.js';
import { requireJava } from '../runtime/java.js';
import { externalTarget, guardExternalTarget } from '../environment/external/external.js';
import type { ProviderName } from '../model/enums.js';
import { stopAllEnvironments } from '../environment/teardown.js';
import { ExitCode, InputError } from '../errors.js';
import { readSigningKey } from '../report/manifest.js';
import { checkOutDir, writeReports } from '../report/write.js';
import { boundHeapGrowth, collectGarbage } from './memory.js';
import { inputLimits, readInputBytesSync } from '../input-file.js';
import { loadSnapshot, writeSnapshot } from '../snapshot/load.js';
import type { Snapshot } from '../snapshot/schema.js';
import { loadSpec } from '../drill-spec/load.js';
import { targetKafkaVersions } from '../drill-spec/schema.js';
import { parseCommandArgs } from './args.js';
import { toolVersion } from '../version.js';
import { specProblems } from './validate.js';

const HELP = `Usage: kafka-drill run <spec>... [options]

Starts an isolated Kafka per target version, restores the spec's snapshot, verifies it,
runs the probes and assumptions, tears everything down, and writes result.json,
report.html, junit.xml, summary.md and manifest.json.

Options:
  --out DIR            output directory (default: the spec's "out", else
                       reports/<drill>/<timestamp>/; with several specs, DIR/<drill>/)
  --kafka-version V    run on this version instead of the spec's (repeatable)
  --provider P         process | docker | external (default: the spec's target.provider)
  --sign-key FILE      Ed25519 private key (PEM) to sign manifest.json with

Exit codes: 0 passed, 1 the drill failed, 2 invalid input, 3 infrastructure error,
130 interrupted.`;

const EXIT_BY_VERDICT: Record<Result['verdict'], number> = {
  passed: ExitCode.ok,
  failed: ExitCode.drillFailed,
  'infrastructure-error': ExitCode.infrastructure,
  interrupted: ExitCode.interrupted,
};

/** Kafka versions to run on, and why, when neither the command line nor the spec names one. */
function versionsFor(fromCommandLine: string[] | undefined, declared: string[], snapshot: Snapshot): { versions: string[]; reason: string } {
  if (fromCommandLine?.length) return { versions: fromCommandLine, reason: 'from --kafka-version' };
  if (declared.length) return { versions: declared, reason: "from the spec's target.kafkaVersion" };
  const resolved = versionForSnapshot(snapshot.source.kafkaVersion);
  return { versions: [resolved.version], reason: `the spec names no target.kafkaVersion: ${resolved.reason}` };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'run',
    argv,
    { out: { type: 'string' }, 'kafka-version': { type: 'string', multiple: true }, provider: { type: 'string' }, 'sign-key': { type: 'string' } },
    true,
  );
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP + '\n');
    return values.help ? ExitCode.ok : ExitCode.invalidInput;
  }
  const providerFlag = values.provider as ProviderName | undefined;
  if (providerFlag && !['process', 'docker', 'external'].includes(providerFlag))
    throw new InputError(`run: --provider: expected process, docker or external, got "${values.provider}"`);
  for (const version of values['kafka-version'] ?? []) checkSupportedVersion(version);

  // Every spec is checked before anything starts: bad input never costs an environment.
  const problems = (await Promise.all(positionals.map((file) => specProblems(file, providerFlag)))).flat();
  if (problems.length) throw new InputError(problems.join('\n'));
  if (values.out && positionals.length > 1) {
    const names = await Promise.all(positionals.map(async (file) => (await loadSpec(file)).spec.name));
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice) throw new InputError(`run: two specs are named "${twice}": with --out and several specs each drill writes to DIR/<name>, so their names must differ`);
  }
  // Where the reports go and the key that signs them are checked now too: a drill must not run only to find it cannot write its evidence.
  if (values['sign-key']) readSigningKey(values['sign-key']);
  for (const file of positionals) {
    const { spec, outPath } = await loadSpec(file);
    const outDir = values.out ? (positionals.length > 1 ? path.join(values.out, spec.name) : values.out) : outPath;
    // The default folder, reports/<drill>/<timestamp>/, is new: only where it goes can be checked.
    if (outDir === undefined) checkOutDir(path.join('reports', spec.name), []);
    else checkOutDir(outDir);
  }

  // The first signal interrupts the drill: the running stage stops, the environment is torn down
  // and an interrupted result is written. A second one means now: stop every environment, write
  // the result as it stands, and leave.
  const controller = new AbortController();
  let signals = 0;
  let running: { drill: DrillHandle; write: (result: Result) => Promise<unknown> } | undefined;
  // Made only for a spec that names no snapshot file (the drill captures its source), removed on every way out.
  let captures: string | undefined;
  const removeCaptures = () => captures && rmSync(captures, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`run: ${signal}: stopping the drill and tearing down\n`);
      controller.abort(new Error(`interrupted by ${signal}`));
      return;
    }
    process.stderr.write(`run: ${signal} again: stopping every environment now\n`);
    void (async () => {
      await Promise.race([stopAllEnvironments(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      try {
        if (running) await running.write(running.drill.resultSoFar());
      } finally {
        removeCaptures();
        process.exit(ExitCode.interrupted);
      }
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let exitCode: number = ExitCode.ok;
  try {
    for (const specFile of positionals) {
      if (controller.signal.aborted) break;
      const spec = await loadSpec(specFile);
      const snapshotFile = spec.snapshotFile ?? (await captureSource(spec, (captures ??= mkdtempSync(path.join(tmpdir(), 'kafka-drill-capture-')))));
      // Released once the drill has it (see below): the drill lets it go with its last run, before the reports.
      let snapshot: Snapshot | undefined = await loadSnapshot(snapshotFile);
      const snapshotSha256 = createHash('sha256')
        .update(readInputBytesSync(snapshotFile, 'snapshot', inputLimits.snapshotBytes))
        .digest('hex');
      const provider = providerFlag ?? spec.spec.target.provider;
      if (spec.spec.target.postgres && provider !== 'process') {
        throw new InputError(
          `${specFile}: target.postgres: only with provider "process", not "${provider}" (--provider): Connect workers there cannot reach a PostgreSQL on this host's loopback`,
        );
      }
      const { versions, reason: versionReason } = versionsFor(values['kafka-version'], targetKafkaVersions(spec.spec.target), snapshot);
      if (provider === 'process') {
        await requireJava();
        for (const version of versions) {
          const installed = await installKafka(version, (line) => process.stderr.write(`  ${line}\n`));
          if (spec.spec.restore.data === 'mirror' && !installed.distribution.mirrorConnectors) {
            throw new InputError(
              `${specFile}: restore.data: mirror: Kafka ${version} was installed without MirrorMaker 2 (no connect-mirror ${version} in the Maven repository): pick another target.kafkaVersion`,
            );
          }
          if (!installed.alreadyInstalled) process.stderr.write(`installed Kafka ${version} in ${installed.seconds.toFixed(1)}s\n`);
        }
      }
      if (provider === 'docker') {
        // Loaded only for docker drills, as startEnvironment does: testcontainers weighs ~40 MB.
        const { ensureDockerImage } = await import('../environment/docker/docker.js');
        for (const version of versions) await ensureDockerImage(version, spec.spec.target.image, (line) => process.stderr.write(`  ${line}\n`));
      }
      // An external cluster is checked before anything is written: a refusal is bad input (exit 2), with no report.
      if (provider === 'external') await guardExternalTarget(externalTarget(spec, snapshot));
      process.stdout.write(
        `drill ${spec.spec.name}: snapshot ${snapshotFile} (${snapshot.topics.length} topics, ${snapshot.acls.length} ACLs) on Kafka ${versions.join(', ')} (${versionReason})\n`,
      );
      const display = createProgressDisplay(process.stdout);
      const drill = startDrill(
        { spec, snapshot, snapshotFile, snapshotSha256 },
        {
          kafkaVersions: versions,
          provider,
          toolVersion: toolVersion(),
          signal: controller.signal,
          progress: (line) => display.line(`  ${line}`),
          onProgress: display.update,
          onStage: boundHeapGrowth,
        },
      );
      snapshot = undefined;
      void drill.done.finally(() => display.close());
      const specOut = spec.outPath === undefined ? undefined : path.relative(process.cwd(), spec.outPath) || '.';
      const outDirOf = (result: Result) =>
        values.out
          ? positionals.length > 1
            ? path.join(values.out, spec.spec.name)
            : values.out
          : (specOut ?? path.join('reports', spec.spec.name, result.startedAt.replace(/[:.]/g, '-')));
      // Written once: a second signal arriving while the final result is being written waits for
      // that write (writing is async) instead of exiting half-way or writing a second time.
      let written: Promise<unknown> | undefined;
      const write = (result: Result) =>
        (written ??= writeReports(result, outDirOf(result), {
          specFile,
          snapshotFile,
          ...(values['sign-key'] ? { signKeyFile: values['sign-key'] } : {}),
        }));
      running = { drill, write };
      const result = await drill.done;
      collectGarbage();
      const outDir = outDirOf(result);
      await write(result);
      running = undefined;
      process.stdout.write(`${result.verdict.toUpperCase()}: ${result.reason}\n  report: ${path.join(outDir, 'report.html')}\n`);
      const code = EXIT_BY_VERDICT[result.verdict];
      // The worst outcome wins: interrupted > infrastructure > failed > passed.
      if (code === ExitCode.interrupted || (exitCode !== ExitCode.interrupted && code > exitCode)) exitCode = code;
    }
  } finally {
    removeCaptures();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (controller.signal.aborted) exitCode = ExitCode.interrupted;
  return exitCode;
}

/**
 * A spec's live `source`, captured now (read only, with record fingerprints) into `dir`; the
 * drill then runs from that file, and the evidence keeps it under inputs/.
 */
async function captureSource(spec: LoadedSpec, dir: string): Promise<string> {
  const source = spec.spec.source!;
  const bootstrap = source.bootstrap
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
  const connection = source.commandConfig ? await loadCommandConfig(path.resolve(spec.dir, source.commandConfig), { bootstrap }) : { bootstrap };
  process.stderr.write(`capturing ${bootstrap.join(',')} (read only, with record fingerprints)\n`);
  const snapshot = await captureSnapshot(connection, { toolVersion: toolVersion(), fingerprints: true });
  const file = path.join(dir, `${spec.spec.name}.capture.json`);
  await writeSnapshot(file, snapshot);
  return file;
}
