/** `kafka-drill diff A B [--json]`: compare two snapshots. Exit 0 without drift, 1 with drift, 2 on bad input. */
import { ExitCode, InputError } from '../errors.js';
import { describeConnection, type KafkaConnection } from '../kafka/connection.js';
import { captureSnapshot } from '../snapshot/capture.js';
import { diffSnapshots, renderDiffText, summarizeDiff } from '../snapshot/diff.js';
import { loadSnapshot } from '../snapshot/load.js';
import type { SnapshotContent } from '../snapshot/schema.js';
import { parseCommandArgs } from './args.js';
import { toolVersion } from '../version.js';
import { connectionFromArgs, connectionOptions } from './snapshot.js';

const usage = `Usage: kafka-drill diff <expected.json> <actual.json> [options]
       kafka-drill diff --bootstrap-server HOST:PORT [--command-config FILE] <actual.json> [options]

Compare two snapshots. Each difference is expected, unrestorable or drift.
Exit code: 0 no drift, 1 drift, 2 bad input.

Options:
  --json          print the differences as JSON
  --ignore-data   do not compare log end offsets or record fingerprints
  --bootstrap-server HOST:PORT, --command-config FILE
                  capture that cluster (read-only) and use it as the expected side
  -h, --help      show this help
`;

/** Where one side of a diff comes from: a snapshot file, or a live cluster captured first. */
export type DiffSide = { kind: 'file'; file: string } | { kind: 'cluster'; connection: KafkaConnection };

export async function resolveSide(side: DiffSide): Promise<{ label: string; snapshot: SnapshotContent }> {
  if (side.kind === 'cluster') {
    return { label: describeConnection(side.connection), snapshot: await captureSnapshot(side.connection, { leaveOutDrillAdmin: true, toolVersion: toolVersion() }) };
  }
  return { label: side.file, snapshot: await loadSnapshot(side.file) };
}

export async function runDiff(argv: string[], stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseCommandArgs('diff', argv, { json: { type: 'boolean' }, 'ignore-data': { type: 'boolean' }, ...connectionOptions }, true);
  if (values.help) {
    stdout.write(usage);
    return ExitCode.ok;
  }
  const cluster = await connectionFromArgs('diff', values);
  const sides: DiffSide[] = positionals.map((file) => ({ kind: 'file', file }));
  if (cluster) {
    if (positionals.length !== 1) throw new InputError(`diff: with --bootstrap-server, expected one snapshot file (actual), got ${positionals.length}\n\n${usage}`);
    sides.unshift({ kind: 'cluster', connection: cluster });
  } else if (positionals.length !== 2) {
    throw new InputError(`diff: expected two snapshot files (expected, actual), got ${positionals.length}\n\n${usage}`);
  }
  const [expectedSide, actualSide] = await Promise.all(sides.map(resolveSide));
  const differences = diffSnapshots(expectedSide!.snapshot, actualSide!.snapshot, { compareData: !values['ignore-data'] });
  const summary = summarizeDiff(differences);

  if (values.json) {
    stdout.write(`${JSON.stringify({ expected: expectedSide!.label, actual: actualSide!.label, summary, differences }, null, 2)}\n`);
  } else {
    stdout.write(renderDiffText(differences));
  }
  return summary.drift > 0 ? ExitCode.drillFailed : ExitCode.ok;
}
