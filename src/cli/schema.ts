import { ExitCode } from '../errors.js';
import { specJsonSchema } from '../drill-spec/json-schema.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: kafka-drill schema

Prints the drill spec's JSON Schema. Save it and point your editor at it, e.g. with
"# yaml-language-server: $schema=./drill-spec.schema.json" as a spec's first line.`;

export async function schemaCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('schema', argv, {});
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return ExitCode.ok;
  }
  process.stdout.write(JSON.stringify(specJsonSchema(), null, 2) + '\n');
  return ExitCode.ok;
}
