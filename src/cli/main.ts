#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { toolVersion } from '../version.js';
import { fileURLToPath } from 'node:url';
import { ExitCode, exitCodeOf, InfrastructureError, InputError } from '../errors.js';
import { connectCommand } from './connect.js';
import { boundHeapGrowth } from './memory.js';
import { runDiff } from './diff.js';
import { envCommand } from './env.js';
import { imageCommand } from './image.js';
import { runCommand } from './run.js';
import { kafkaCommand } from './kafka.js';
import { runReport } from './report.js';
import { schemaCommand } from './schema.js';
import { runSnapshot } from './snapshot.js';
import { validateCommand } from './validate.js';
import { runVerifyEvidence } from './verify-evidence.js';

/** Each command lives in its own module and returns the process exit code. */
type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  run: { summary: 'run drill specs: start, restore, verify, probe, tear down, report', run: runCommand },
  report: { summary: 'render report.html, junit.xml, summary.md and manifest.json from result.json', run: runReport },
  'verify-evidence': { summary: 'check an evidence directory against its manifest (and signature)', run: runVerifyEvidence },
  snapshot: { summary: 'capture a live cluster into a snapshot file (read-only)', run: (argv) => runSnapshot(argv) },
  diff: { summary: 'compare two snapshots: each difference is expected, unrestorable or drift', run: runDiff },
  validate: { summary: 'check drill specs and the snapshots they name, starting nothing', run: validateCommand },
  schema: { summary: "print the drill spec's JSON Schema (for editor completion)", run: schemaCommand },
  kafka: { summary: 'install Apache Kafka distributions into the cache (kafka install <version>)', run: kafkaCommand },
  connect: { summary: 'install Kafka Connect plugins from Maven Central into the cache (connect install <coords>)', run: connectCommand },
  env: { summary: 'start an isolated Kafka environment for writing drills (env up)', run: envCommand },
  image: { summary: "build the docker provider's Kafka image without a registry (image build)", run: imageCommand },
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
