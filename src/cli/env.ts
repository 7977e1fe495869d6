import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clientProperties } from '../environment/client-properties.js';
import { DEFAULT_KAFKA_VERSION, installKafka } from '../runtime/distribution.js';
import { requireJava } from '../runtime/java.js';
import { checkMetadataMode, startEnvironment } from '../environment/start.js';
import { stopAllEnvironments } from '../environment/teardown.js';
import { metadataModes, securityModes, type MetadataMode, type ProviderName, type SecurityMode } from '../model/enums.js';
import { ExitCode, InputError } from '../errors.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: kafka-drill env up [options]

Starts an isolated Kafka cluster (local JVMs, or containers with --provider docker) and
keeps it until Ctrl-C or SIGTERM,
then tears it down. Prints the bootstrap address and a client properties file
(--command-config for Kafka's CLI tools) holding the admin credentials.

Options:
  --kafka-version V          Kafka version (default ${DEFAULT_KAFKA_VERSION})
  --provider process|docker  local JVMs (default) or Docker containers
  --image NAME               docker only: image laid out like apache/kafka
                             (default kafka-drill/kafka:V if built, else apache/kafka:V)
  --brokers N                broker count, 1 to 5 (default 1)
  --broker-ids I,J,...       the brokers' node ids (default 1..N), e.g. 0,1,2 or 1001
  --security MODE           plaintext, scram, ssl, mtls or sasl_ssl (default plaintext)
  --metadata kraft|zookeeper where the cluster keeps its metadata (default kraft);
                             zookeeper: Kafka 3.x, process provider, a ZooKeeper beside the brokers
  --json                     print one JSON line instead of a readable block
  --show-password            include the admin password in the output
  --keep                     keep the environment's directory (logs, data) after teardown
  --connect                  also start a Kafka Connect distributed worker; prints its REST URL
  --connect-plugin-path DIR  a directory for the worker's plugin.path (repeatable)`;

export async function envCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'env',
    argv,
    {
      'kafka-version': { type: 'string' },
      provider: { type: 'string' },
      image: { type: 'string' },
      brokers: { type: 'string' },
      'broker-ids': { type: 'string' },
      security: { type: 'string' },
      metadata: { type: 'string' },
      json: { type: 'boolean' },
      'show-password': { type: 'boolean' },
      keep: { type: 'boolean' },
      connect: { type: 'boolean' },
      'connect-plugin-path': { type: 'string', multiple: true },
    },
    true,
  );
  if (values.help || positionals[0] !== 'up') {
    process.stdout.write(HELP + '\n');
    return values.help ? ExitCode.ok : ExitCode.invalidInput;
  }
  const nodeIds = values['broker-ids']?.split(',').map((id) => id.trim());
  if (nodeIds && !nodeIds.every((id) => /^\d{1,9}$/.test(id))) throw new InputError(`env up: --broker-ids: expected node ids like 0,1,2, got "${values['broker-ids']}"`);
  if (nodeIds && new Set(nodeIds).size !== nodeIds.length) throw new InputError(`env up: --broker-ids: duplicate id in "${values['broker-ids']}"`);
  const brokers = Number(values.brokers ?? nodeIds?.length ?? 1);
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 5) throw new InputError(`env up: --brokers: expected 1 to 5, got "${values.brokers}"`);
  if (nodeIds && nodeIds.length !== brokers) throw new InputError(`env up: --broker-ids: ${nodeIds.length} id(s) for ${brokers} broker(s)`);
  const security = (values.security ?? 'plaintext') as SecurityMode;
  if (!securityModes.includes(security)) throw new InputError(`env up: --security: expected ${securityModes.join(', ')}, got "${values.security}"`);

  const provider = (values.provider ?? 'process') as ProviderName;
  if (provider !== 'process' && provider !== 'docker') throw new InputError(`env up: --provider: expected process or docker, got "${values.provider}"`);
  if (values.image && provider !== 'docker') throw new InputError('env up: --image: only with --provider docker');

  const kafkaVersion = values['kafka-version'] ?? DEFAULT_KAFKA_VERSION;
  const metadata = (values.metadata ?? 'kraft') as MetadataMode;
  if (!metadataModes.includes(metadata)) throw new InputError(`env up: --metadata: expected ${metadataModes.join(' or ')}, got "${values.metadata}"`);
  try {
    checkMetadataMode(provider, { metadata, kafkaVersion });
  } catch (error) {
    throw error instanceof InputError ? new InputError(`env up: --metadata: ${error.message}`) : error;
  }
  if (provider === 'process') {
    // As run does: the version is installed first (a no-op when it is in the cache).
    await requireJava();
    const installed = await installKafka(kafkaVersion, (line) => process.stderr.write(`  ${line}\n`));
    if (!installed.alreadyInstalled) process.stderr.write(`installed Kafka ${kafkaVersion} in ${installed.seconds.toFixed(1)}s\n`);
  } else {
    // The docker counterpart: the image, pulled or built where no registry answers.
    const { ensureDockerImage } = await import('../environment/docker/docker.js');
    await ensureDockerImage(kafkaVersion, values.image, (line) => process.stderr.write(`  ${line}\n`));
  }

  // Signals during start-up must tear down too: handlers go in before the first JVM starts.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const starting = startEnvironment(
    provider,
    {
      kafkaVersion,
      brokers,
      ...(nodeIds ? { nodeIds: nodeIds.map(Number) } : {}),
      security,
      ...(metadata === 'zookeeper' ? { metadata } : {}),
      keepDirs: values.keep ?? false,
      ...(values.connect || values['connect-plugin-path'] ? { connect: { pluginPaths: values['connect-plugin-path'] ?? [] } } : {}),
    },
    { docker: values.image ? { image: values.image } : {} },
  );
  const first = await Promise.race([starting.then(() => 'ready' as const), stopped]);
  if (first !== 'ready') {
    await starting.then(
      (environment) => environment.stop(),
      () => {},
    );
    await stopAllEnvironments();
    return ExitCode.interrupted;
  }
  const environment = await starting;
  const propertiesFile = join(environment.workDir, 'client.properties');
  await writeFile(propertiesFile, clientProperties(environment.admin, environment.tls), { mode: 0o600 });
  const description = {
    bootstrap: environment.admin.bootstrap.join(','),
    kafkaVersion: environment.kafkaVersion,
    clusterId: environment.clusterId,
    brokers: environment.brokers.map((broker) => ({ nodeId: broker.nodeId, pid: broker.pid, address: broker.address })),
    security,
    metadata,
    ...(environment.zookeeper ? { zookeeper: environment.zookeeper.address } : {}),
    ...(environment.admin.sasl
      ? {
          sasl: {
            mechanism: environment.admin.sasl.mechanism,
            username: environment.admin.sasl.username,
            ...(values['show-password'] ? { password: environment.admin.sasl.password } : {}),
          },
        }
      : {}),
    commandConfig: propertiesFile,
    ...(environment.connect ? { connect: { url: environment.connect.url, pluginPath: environment.connect.pluginPath, startupMs: environment.connect.startupMs } } : {}),
    workDir: environment.workDir,
    startupMs: environment.startupMs,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(description) + '\n');
  } else {
    process.stdout.write(
      [
        `Kafka ${environment.kafkaVersion} is up (${brokers} broker${brokers > 1 ? 's' : ''}, ${security}) in ${(environment.startupMs / 1000).toFixed(1)}s`,
        `  bootstrap:      ${description.bootstrap}`,
        `  cluster id:     ${environment.clusterId}`,
        ...(environment.zookeeper ? [`  zookeeper:      ${environment.zookeeper.address} (metadata in ZooKeeper)`] : []),
        ...(description.sasl
          ? [
              `  admin user:     ${description.sasl.username} (${description.sasl.mechanism}${values['show-password'] ? `, password ${description.sasl.password}` : ', password in the command config'})`,
            ]
          : []),
        `  command config: ${propertiesFile}`,
        ...(environment.connect ? [`  connect:        ${environment.connect.url} (started in ${(environment.connect.startupMs / 1000).toFixed(1)}s)`] : []),
        'Press Ctrl-C to tear it down.',
      ].join('\n') + '\n',
    );
  }
  // Containers, unlike child JVMs, do not keep Node's event loop alive while it waits for a signal.
  const keepAlive = setInterval(() => {}, 60_000);
  const signal = await stopped;
  clearInterval(keepAlive);
  await environment.stop();
  process.stderr.write(`env: ${signal}: environment torn down\n`);
  return ExitCode.ok;
}
