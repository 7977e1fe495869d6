import { DEFAULT_KAFKA_VERSION, installKafka } from '../runtime/distribution.js';
import { requireJava } from '../runtime/java.js';
import { ExitCode, InputError } from '../errors.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: kafka-drill kafka install [<version>...]

Installs runnable Apache Kafka distributions (broker, CLI tools, Connect + FileStream and MirrorMaker 2
connectors, slf4j-simple logging) from Maven Central into the cache
($KAFKA_DRILL_CACHE, default ~/.cache/kafka-drill). Default version: ${DEFAULT_KAFKA_VERSION}.
Idempotent; safe to run from several processes at once.`;

export async function kafkaCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('kafka', argv, {}, true);
  const [subcommand, ...versions] = positionals;
  if (values.help || subcommand === undefined) {
    process.stdout.write(HELP + '\n');
    return values.help ? ExitCode.ok : ExitCode.invalidInput;
  }
  if (subcommand !== 'install') throw new InputError(`kafka: unknown subcommand "${subcommand}" (expected "install")`);
  await requireJava();
  for (const version of versions.length ? versions : [DEFAULT_KAFKA_VERSION]) {
    const report = await installKafka(version, (line) => process.stderr.write(`  ${line}\n`));
    const size = `${(report.bytes / 1024 / 1024).toFixed(1)} MiB in ${report.jars} jars`;
    const missing = [...(report.distribution.fileConnectors ? [] : ['FileStream']), ...(report.distribution.mirrorConnectors ? [] : ['MirrorMaker 2'])];
    const note = missing.length ? ` (no ${missing.join(' or ')} connectors: not in the Maven repository)` : '';
    process.stdout.write(
      report.alreadyInstalled
        ? `Kafka ${version} already installed: ${report.distribution.libsDir} (${size})${note}\n`
        : `Kafka ${version} installed in ${report.seconds.toFixed(1)}s: ${report.distribution.libsDir} (${size})${note}\n`,
    );
  }
  return ExitCode.ok;
}
