import path from 'node:path';
import { parseResult, type Result } from '../model/result.js';
import { ExitCode, InputError } from '../errors.js';
import { inputLimits, readInputFile } from '../input-file.js';
import { writeReports } from '../report/write.js';
import { parseCommandArgs } from './args.js';

const usage = `Usage: kafka-drill report RESULT_JSON [--out DIR] [--compare OLD_RESULT_JSON...] [--sign-key FILE]

Renders report.html, junit.xml, summary.md and manifest.json from a drill's result.json.
  --out DIR          where to write (default: the directory of RESULT_JSON)
  --compare FILE...  earlier result.json files of the same drill: adds an RTO and manual-step trend,
                     and per team: manual steps, failed assumptions and skipped checks across runs
  --sign-key FILE    PEM Ed25519 private key: signs manifest.json
  --spec FILE        the drill spec, copied into DIR/inputs/ after checking its sha256
  --snapshot FILE    the snapshot, copied into DIR/inputs/ after checking its sha256`;

async function readResult(file: string): Promise<Result> {
  const { text } = await readInputFile(file, 'drill result', inputLimits.resultBytes);
  return parseResult(text, file);
}

export async function runReport(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'report',
    argv,
    {
      out: { type: 'string' },
      compare: { type: 'string', multiple: true },
      'sign-key': { type: 'string' },
      spec: { type: 'string' },
      snapshot: { type: 'string' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(usage + '\n');
    return ExitCode.ok;
  }
  // --compare takes several files: "--compare a.json b.json" leaves b.json as a positional.
  const [resultFile, ...extra] = positionals;
  if (!resultFile) throw new InputError(`report: a result.json file is required\n\n${usage}`);
  const compareFiles = [...((values.compare as string[] | undefined) ?? []), ...extra];
  if (extra.length > 0 && !values.compare) throw new InputError(`report: unexpected argument "${extra[0]}"`);

  const result = await readResult(resultFile);
  const compare = await Promise.all(compareFiles.map(readResult));
  const outDir = (values.out as string | undefined) ?? path.dirname(resultFile);
  const written = await writeReports(result, outDir, {
    compare,
    signKeyFile: values['sign-key'] as string | undefined,
    specFile: values.spec as string | undefined,
    snapshotFile: values.snapshot as string | undefined,
  });
  for (const file of written) process.stdout.write(`${file}\n`);
  return ExitCode.ok;
}
