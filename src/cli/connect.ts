import { connectPluginsDir, installConnectPlugin, parsePluginCoordinates } from '../runtime/plugins.js';
import { ExitCode, InputError } from '../errors.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: kafka-drill connect install <group:artifact:version[:type[:classifier]]>...

Installs Kafka Connect plugins from Maven Central into the cache (${connectPluginsDir()}),
which is on the plugin.path of every Connect worker kafka-drill starts. The default archive is
the \`-plugin.tar.gz\` Debezium publishes, e.g.

  kafka-drill connect install io.debezium:debezium-connector-jdbc:3.6.0.Final

Idempotent: an installed plugin is not downloaded again.`;

export async function connectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('connect', argv, {}, true);
  const [subcommand, ...coordinates] = positionals;
  if (values.help || subcommand === undefined) {
    process.stdout.write(HELP + '\n');
    return values.help ? ExitCode.ok : ExitCode.invalidInput;
  }
  if (subcommand !== 'install') throw new InputError(`connect: unknown subcommand "${subcommand}" (expected "install")`);
  if (coordinates.length === 0) throw new InputError('connect install: name at least one plugin, e.g. io.debezium:debezium-connector-jdbc:3.6.0.Final');
  const parsed = coordinates.map(parsePluginCoordinates);
  for (const plugin of parsed) {
    const report = await installConnectPlugin(plugin);
    const what = `${plugin.groupId}:${plugin.artifactId}:${plugin.version}`;
    process.stdout.write(
      report.alreadyInstalled
        ? `${what} already installed: ${report.dir} (${report.jars} jars)\n`
        : `${what} installed in ${report.seconds.toFixed(1)}s: ${report.dir} (${report.jars} jars)\n`,
    );
  }
  return ExitCode.ok;
}
