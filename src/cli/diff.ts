/** `kafka-drill diff A B [--json]`: compare two snapshots. Exit 0 without drift, 1 with drift, 2 on bad input. */
import { ExitCode, InputError } from '../errors.js';
import { diffSnapshots, renderDiffText, summarizeDiff } from '../snapshot/diff.js';
import { loadSnapshot } from '../snapshot/load.js';
import type { Snapshot } from '../snapshot/schema.js';
import { parseCommandArgs } from './args.js';

const usage = `Usage: kafka-drill diff <expected.json> <actual.json> [options]

Compare two snapshots. Each difference is expected, unrestorable or drift.
Exit code: 0 no drift, 1 drift, 2 bad input.

Options:
  --json          print the differences as JSON
  --ignore-data   do not compare log end offsets or record fingerprints
  -h, --help      show this help
`;

/**
 * Where one side of a diff comes from. Only snapshot files for now; capture adds
 * `{ kind: 'cluster'; connection: KafkaConnection }` for `diff --bootstrap-server host:port B`,
 * handled in resolveSide by capturing that cluster.
 */
export type DiffSide = { kind: 'file'; file: string };

export async function resolveSide(side: DiffSide): Promise<{ label: string; snapshot: Snapshot }> {
  return { label: side.file, snapshot: await loadSnapshot(side.file) };
}

export async function runDiff(argv: string[], stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'diff',
    argv,
    { json: { type: 'boolean' }, 'ignore-data': { type: 'boolean' } },
    true,
  );
  if (values.help) {
    stdout.write(usage);
    return ExitCode.ok;
  }
  // TODO(capture): with --bootstrap-server, the expected side is { kind: 'cluster', … } and one positional remains.
  if (positionals.length !== 2) {
    throw new InputError(`diff: expected two snapshot files (expected, actual), got ${positionals.length}\n\n${usage}`);
  }
  const [expectedSide, actualSide] = await Promise.all(positionals.map((file) => resolveSide({ kind: 'file', file })));
  const differences = diffSnapshots(expectedSide!.snapshot, actualSide!.snapshot, { compareData: !values['ignore-data'] });
  const summary = summarizeDiff(differences);

  if (values.json) {
    stdout.write(`${JSON.stringify({ expected: expectedSide!.label, actual: actualSide!.label, summary, differences }, null, 2)}\n`);
  } else {
    stdout.write(renderDiffText(differences));
  }
  return summary.drift > 0 ? ExitCode.drillFailed : ExitCode.ok;
}
