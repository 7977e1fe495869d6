import { DEFAULT_KAFKA_VERSION } from '../runtime/distribution.js';
import { ExitCode, InputError } from '../errors.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: kafka-drill image build [--kafka-version V] [--mirror URL]

Builds the Docker image kafka-drill/kafka:V for the docker provider without any image
registry: a Debian bookworm base made with debootstrap (needs root and debootstrap, once)
from the machine's apt mirror, plus the Kafka jars kafka-drill installs from Maven Central,
laid out like the official apache/kafka image (/opt/kafka/libs, /opt/kafka/bin).
Nothing is rebuilt when the image already holds the same content.

Options:
  --kafka-version V   Kafka version (default ${DEFAULT_KAFKA_VERSION})
  --mirror URL        Debian mirror for the base (default: the one in /etc/apt/sources.list*)`;

export async function imageCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('image', argv, { 'kafka-version': { type: 'string' }, mirror: { type: 'string' } }, true);
  if (values.help || positionals[0] === undefined) {
    process.stdout.write(HELP + '\n');
    return values.help ? ExitCode.ok : ExitCode.invalidInput;
  }
  if (positionals[0] !== 'build' || positionals.length > 1) throw new InputError(`image: unknown subcommand "${positionals.join(' ')}" (expected "build")`);
  const { buildKafkaImage } = await import('../environment/docker/image.js');
  const report = await buildKafkaImage(values['kafka-version'] ?? DEFAULT_KAFKA_VERSION, {
    ...(values.mirror ? { mirror: values.mirror } : {}),
    log: (line) => process.stderr.write(`  ${line}\n`),
  });
  const size = `${(report.sizeBytes / 1024 / 1024).toFixed(0)} MiB`;
  process.stdout.write(
    report.built
      ? `${report.image} built in ${report.seconds.toFixed(1)}s (${size}; base ${report.baseImage}${report.baseBuilt ? ', built now' : ''})\n`
      : `${report.image} is up to date (${size})\n`,
  );
  return ExitCode.ok;
}
