#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { toolVersion } from '../version.js';
import { fileURLToPath } from 'node:url';
import { ExitCode, exitCodeOf, InfrastructureError, InputError } from '../errors.js';
import { boundHeapGrowth } from './memory.js';

/**
 * Each command lives in its own module, loaded only when it runs (a report or validate never
 * loads the Kafka clients or the docker provider), and returns the process exit code.
 */
type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  run: { summary: 'run drill specs: start, restore, verify, probe, tear down, report', run: (argv) => import('./run.js').then((m) => m.runCommand(argv)) },
  report: { summary: 'render report.html, junit.xml, summary.md and manifest.json from result.json', run: (argv) => import('./report.js').then((m) => m.runReport(argv)) },
  'verify-evidence': {
    summary: 'check an evidence directory against its manifest (and signature)',
    run: (argv) => import('./verify-evidence.js').then((m) => m.runVerifyEvidence(argv)),
  },
  snapshot: { summary: 'capture a live cluster into a snapshot file (read-only)', run: (argv) => import('./snapshot.js').then((m) => m.runSnapshot(argv)) },
  diff: { summary: 'compare two snapshots: each difference is expected, unrestorable or drift', run: (argv) => import('./diff.js').then((m) => m.runDiff(argv)) },
  validate: { summary: 'check drill specs and the snapshots they name, starting nothing', run: (argv) => import('./validate.js').then((m) => m.validateCommand(argv)) },
  schema: { summary: "print the drill spec's JSON Schema (for editor completion)", run: (argv) => import('./schema.js').then((m) => m.schemaCommand(argv)) },
  kafka: { summary: 'install Apache Kafka distributions into the cache (kafka install <version>)', run: (argv) => import('./kafka.js').then((m) => m.kafkaCommand(argv)) },
  connect: {
    summary: 'install Kafka Connect plugins from Maven Central into the cache (connect install <coords>)',
    run: (argv) => import('./connect.js').then((m) => m.connectCommand(argv)),
  },
  env: { summary: 'start an isolated Kafka environment for writing drills (env up)', run: (argv) => import('./env.js').then((m) => m.envCommand(argv)) },
  image: { summary: "build the docker provider's Kafka image without a registry (image build)", run: (argv) => import('./image.js').then((m) => m.imageCommand(argv)) },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return [
    'kafka-drill — prove a Kafka cluster can be recovered',
    '',
    'Usage: kafka-drill <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "kafka-drill <command> --help" for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? ExitCode.invalidInput : ExitCode.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(toolVersion() + '\n');
    return ExitCode.ok;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`kafka-drill: unknown command "${name}"\n\n${usage()}\n`);
    return ExitCode.invalidInput;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`kafka-drill ${name}: ${message}\n`);
    if (error instanceof InfrastructureError && error.details) process.stderr.write(`${error.details}\n`);
    if (!(error instanceof InputError) && process.env.KAFKA_DRILL_DEBUG && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    return exitCodeOf(error);
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  boundHeapGrowth();
  // Exit as soon as the command is done: a client still retrying against a torn-down broker (a
  // probe that timed out, say) must not keep a CI job waiting.
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
