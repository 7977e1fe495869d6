#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode, exitCodeOf, InputError } from '../errors.js';

/** Each command lives in its own module and returns the process exit code. */
type Command = { summary: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, Command> = {
};

export function toolVersion(): string {
  const packageJson = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

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
    if (!(error instanceof InputError) && process.env.KAFKA_DRILL_DEBUG && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    return exitCodeOf(error);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
