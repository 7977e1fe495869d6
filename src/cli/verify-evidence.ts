import { ExitCode, InputError } from '../errors.js';
import { verifyEvidence } from '../report/manifest.js';
import { parseCommandArgs } from './args.js';

const usage = `Usage: kafka-drill verify-evidence DIR [--pub-key FILE]

Checks every file in an evidence directory against its manifest.json.
  --pub-key FILE  PEM Ed25519 public key: the manifest must be signed by it
Exit codes: 0 intact, 1 changed, missing or unlisted files or a bad signature, 2 bad input.`;

export async function runVerifyEvidence(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('verify-evidence', argv, { 'pub-key': { type: 'string' } }, true);
  if (values.help) {
    process.stdout.write(usage + '\n');
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new InputError(`verify-evidence: exactly one directory is required\n\n${usage}`);
  const dir = positionals[0]!;
  const check = verifyEvidence(dir, values['pub-key'] as string | undefined);
  if (!check.ok) {
    for (const problem of check.problems) process.stdout.write(`FAILED ${problem}\n`);
    return ExitCode.drillFailed;
  }
  const signature = { valid: 'signature valid', absent: 'not signed', 'not-checked': 'signature not checked (no --pub-key)', invalid: '' }[check.signature];
  process.stdout.write(`OK ${dir}: every file matches manifest.json; ${signature}\n`);
  return ExitCode.ok;
}
