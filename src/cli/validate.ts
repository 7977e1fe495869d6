import { ExitCode, InputError } from '../errors.js';
import { loadSnapshot } from '../snapshot/load.js';
import type { Snapshot } from '../snapshot/schema.js';
import { crossCheckSpec } from '../drill-spec/cross-check.js';
import { formatSpecProblem, loadSpec } from '../drill-spec/load.js';
import { localSpecProblems } from '../drill-spec/local-checks.js';
import { parseCommandArgs } from './args.js';
import { brokerLimitProblems, readHostLimits } from '../environment/host-limits.js';
import { brokerLimitsNeeded } from '../environment/plan.js';
import type { ProviderName } from '../model/enums.js';

const HELP = `Usage: kafka-drill validate <spec>...

Checks each drill spec, the snapshot it names, and everything else that needs no running
Kafka: the spec only refers to topics, consumer groups and users the snapshot holds, its
Kafka versions are supported, its custom probe modules exist inside its folder, the
target has enough brokers for every topic, the snapshot restores nothing Kafka or the
drill would refuse, and this host's open-file limit and vm.max_map_count let each broker
host its partitions (the number needed is printed). Starts nothing.
Prints "ok <spec>" for each valid spec and every problem, with file and line, for the rest.
Exit code 0 when all are valid, 2 otherwise.`;

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('validate', argv, {}, true);
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP + '\n');
    return values.help ? ExitCode.ok : ExitCode.invalidInput;
  }
  let allValid = true;
  for (const file of positionals) {
    const problems = await specProblems(file);
    if (problems.length === 0) {
      process.stdout.write(`ok ${file}\n`);
    } else {
      allValid = false;
      process.stderr.write(problems.join('\n') + '\n');
    }
  }
  return allValid ? ExitCode.ok : ExitCode.invalidInput;
}

/** Every problem with one spec, formatted; empty when it is valid. `provider` overrides the spec's target.provider. */
export async function specProblems(file: string, provider?: ProviderName): Promise<string[]> {
  try {
    const loaded = await loadSpec(file);
    const local = await localSpecProblems(loaded);
    // A live source is captured when the drill runs: nothing to cross-check against yet.
    if (loaded.snapshotFile === undefined) return local;
    let snapshot: Snapshot;
    try {
      // Relative to where the user is, like the spec path they typed.
      snapshot = await loadSnapshot(loaded.snapshotFile);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return [...local, formatSpecProblem(file, loaded.lineOf(['snapshot']), ['snapshot'], error.message)];
    }
    const { target } = loaded.spec;
    const limits = brokerLimitProblems(brokerLimitsNeeded(target, snapshot), readHostLimits(), provider ?? target.provider).map((problem) =>
      formatSpecProblem(file, loaded.lineOf(['target', 'brokers']), ['target', 'brokers'], problem),
    );
    return [...local, ...crossCheckSpec(loaded, snapshot), ...limits];
  } catch (error) {
    if (error instanceof InputError) return error.message.split('\n');
    throw error;
  }
}
