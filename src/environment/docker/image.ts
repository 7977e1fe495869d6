import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { ImageName, type ContainerRuntimeClient } from 'testcontainers';
import { InfrastructureError } from '../../errors.js';
import { installKafka, type KafkaDistribution } from '../../runtime/distribution.js';
import { dockerClient } from './engine.js';

/**
 * `kafka-drill image build`: an image laid out like the official `apache/kafka` one
 * (`/opt/kafka/libs`, `/opt/kafka/bin/*.sh`, java on PATH) built with no registry at all:
 * a Debian base made with debootstrap from the machine's apt mirror and imported, then the
 * Maven-resolved jars from kafka-drill's cache on top. Both steps are skipped when an image
 * built from the same inputs exists (its tag or label carries their hash).
 */

const SUITE = 'bookworm';
// Kafka 4.x needs Java 17+; bookworm's 17 is the JRE the process provider is tested with.
const BASE_PACKAGES = ['openjdk-17-jre-headless'];
const HASH_LABEL = 'org.kafka-drill.content-hash';
/** Bump when the layout below changes in a way the hashed inputs do not show. */
const RECIPE_VERSION = 1;
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export function kafkaImageName(version: string): string {
  return `kafka-drill/kafka:${version}`;
}

export interface ImageBuildReport {
  image: string;
  baseImage: string;
  /** False when an image built from the same inputs already existed. */
  built: boolean;
  baseBuilt: boolean;
  seconds: number;
  sizeBytes: number;
}

export async function buildKafkaImage(version: string, options: { mirror?: string; log?: (line: string) => void } = {}): Promise<ImageBuildReport> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const client = await dockerClient();
  const { distribution } = await installKafka(version, log);
  const mirror = options.mirror ?? (await aptMirror()) ?? DEFAULT_MIRROR;
  const base = await ensureBaseImage(client, mirror, log);

  const image = kafkaImageName(distribution.version);
  const layout = kafkaLayout(distribution, base.image);
  const jars = await jarList(distribution.libsDir);
  const contentHash = sha256(JSON.stringify({ RECIPE_VERSION, files: layout, jars }));
  const existing = await inspectImage(client, image);
  let built = false;
  if (existing?.Config?.Labels?.[HASH_LABEL] === contentHash) {
    log(`${image} is up to date (${contentHash.slice(0, 12)})`);
  } else {
    log(`building ${image} on ${base.image}`);
    await buildFromContext(client, image, layout, distribution.libsDir, { [HASH_LABEL]: contentHash });
    built = true;
  }
  const inspected = await inspectImage(client, image);
  return {
    image,
    baseImage: base.image,
    built,
    baseBuilt: base.built,
    seconds: (performance.now() - started) / 1000,
    sizeBytes: inspected?.Size ?? 0,
  };
}

/** The Debian mirror the machine's apt uses (deb822 .sources or one-line .list), if any. */
export async function aptMirror(root = '/etc/apt'): Promise<string | undefined> {
  const files = [join(root, 'sources.list')];
  const listDir = join(root, 'sources.list.d');
  for (const entry of await readdir(listDir).catch(() => [] as string[])) {
    if (entry.endsWith('.list') || entry.endsWith('.sources')) files.push(join(listDir, entry));
  }
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const mirror = file.endsWith('.sources') ? mirrorFromDeb822(text) : mirrorFromOneLine(text);
    if (mirror) return mirror;
  }
  return undefined;
}

// A Debian archive carries main with a plain release suite; security and third-party repositories do not.
const DEBIAN_SUITE = /^(bookworm|trixie|forky|sid|stable|testing|unstable|bullseye)$/;

function mirrorFromOneLine(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const fields = line
      .replace(/\[[^\]]*\]/, '')
      .trim()
      .split(/\s+/);
    if (fields[0] === 'deb' && fields[2] && DEBIAN_SUITE.test(fields[2]) && fields.slice(3).includes('main')) return fields[1];
  }
  return undefined;
}

function mirrorFromDeb822(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
    if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(stanza)) continue;
    if (field('Suites').some((suite) => DEBIAN_SUITE.test(suite)) && field('Components').includes('main')) return field('URIs')[0];
  }
  return undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function inspectImage(client: ContainerRuntimeClient, name: string) {
  if (!(await client.image.exists(ImageName.fromString(name)))) return undefined;
  return client.image.inspect(ImageName.fromString(name));
}

/** The base's tag carries the hash of its recipe, so a mirror or package change makes a new one. */
async function ensureBaseImage(client: ContainerRuntimeClient, mirror: string, log: (line: string) => void) {
  const recipe = { SUITE, variant: 'minbase', packages: BASE_PACKAGES, mirror };
  const image = `kafka-drill/base:${SUITE}-jre17-${sha256(JSON.stringify(recipe)).slice(0, 12)}`;
  if (await client.image.exists(ImageName.fromString(image))) return { image, built: false };

  if (process.getuid?.() !== 0) throw new InfrastructureError(`building the base image ${image} runs debootstrap, which needs root: run "kafka-drill image build" as root once`);
  const debootstrap = await execa('debootstrap', ['--version'], { reject: false });
  if (debootstrap.exitCode !== 0) throw new InfrastructureError('debootstrap not found: install it (apt-get install debootstrap) to build the base image');
  const rootfs = await mkdtemp(join(tmpdir(), 'kafka-drill-rootfs-'));
  try {
    log(`debootstrap ${SUITE} (minbase + ${BASE_PACKAGES.join(', ')}) from ${mirror}`);
    const result = await execa('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, SUITE, rootfs, mirror], { reject: false, all: true });
    if (result.exitCode !== 0) {
      throw new InfrastructureError(`debootstrap ${SUITE} from ${mirror} failed (exit ${result.exitCode})`, (result.all ?? '').split('\n').slice(-30).join('\n'));
    }
    // Package lists and downloaded .debs are only needed while installing.
    await Promise.all(['var/cache/apt/archives', 'var/lib/apt/lists'].map((dir) => emptyDirectory(join(rootfs, dir))));
    log(`importing the root file system as ${image}`);
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repository, tag] = image.split(':') as [string, string];
    const progress = await client.container.dockerode.importImage(tar.stdout, { repo: repository, tag });
    await followDockerProgress(client, progress, `importing ${image}`);
    return { image, built: true };
  } finally {
    await removeRootfs(rootfs);
  }
}

async function emptyDirectory(dir: string): Promise<void> {
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (entry !== 'partial' && entry !== 'lock') await rm(join(dir, entry), { recursive: true, force: true });
  }
}

/** debootstrap mounts /proc and /sys inside the root file system; a killed run can leave them mounted. */
async function removeRootfs(rootfs: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8').catch(() => ''))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(rootfs + '/'))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) await execa('umount', ['-l', mountPoint], { reject: false });
  await rm(rootfs, { recursive: true, force: true });
}

/** The files beside libs/: the Dockerfile and the bin scripts, keyed by their path in the build context. */
function kafkaLayout(distribution: KafkaDistribution, baseImage: string): Record<string, string> {
  const tools: Record<string, string> = {
    'kafka-server-start.sh': 'kafka.Kafka',
    'kafka-storage.sh': 'kafka.tools.StorageTool',
    'kafka-topics.sh': 'org.apache.kafka.tools.TopicCommand',
    'kafka-configs.sh': 'kafka.admin.ConfigCommand',
    'kafka-consumer-groups.sh': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
    'kafka-acls.sh': distribution.version.startsWith('3.') ? 'kafka.admin.AclCommand' : 'org.apache.kafka.tools.AclCommand',
    'connect-distributed.sh': 'org.apache.kafka.connect.cli.ConnectDistributed',
  };
  const files: Record<string, string> = {
    // Apache Kafka's bin/kafka-run-class.sh, reduced to a jar directory and the same environment variables.
    'bin/kafka-run-class.sh': `#!/bin/sh
base_dir=$(dirname "$0")/..
exec "\${JAVA_HOME:+$JAVA_HOME/bin/}java" \${KAFKA_HEAP_OPTS:--Xmx256M} \${KAFKA_JVM_PERFORMANCE_OPTS:-} \${KAFKA_LOG4J_OPTS:-} \${KAFKA_OPTS:-} -cp "$base_dir/libs/*" "$@"
`,
  };
  for (const [script, mainClass] of Object.entries(tools)) {
    const heap = script === 'kafka-server-start.sh' || script === 'connect-distributed.sh' ? 'KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G} ' : '';
    files[`bin/${script}`] = `#!/bin/sh\n${heap}exec "$(dirname "$0")/kafka-run-class.sh" ${mainClass} "$@"\n`;
  }
  files['Dockerfile'] = `FROM ${baseImage}
RUN useradd --uid 1000 --create-home appuser && mkdir -p /opt/kafka/config /var/lib/kafka/data && chown appuser /var/lib/kafka/data
COPY libs/ /opt/kafka/libs/
COPY bin/ /opt/kafka/bin/
ENV KAFKA_VERSION=${distribution.version}
WORKDIR /opt/kafka
USER appuser
CMD ["sh", "-c", "echo 'kafka-drill/kafka: give the command to run, e.g. /opt/kafka/bin/kafka-server-start.sh <server.properties>'"]
`;
  return files;
}

async function jarList(libsDir: string): Promise<string[]> {
  const jars = (await readdir(libsDir)).sort();
  return Promise.all(jars.map(async (jar) => `${jar}:${(await stat(join(libsDir, jar))).size}`));
}

/** Builds from a context of the layout files plus the distribution's libs/ directory, streamed as one tar. */
async function buildFromContext(client: ContainerRuntimeClient, image: string, layout: Record<string, string>, libsDir: string, labels: Record<string, string>) {
  const contextDir = await mkdtemp(join(tmpdir(), 'kafka-drill-image-'));
  try {
    for (const [path, content] of Object.entries(layout)) {
      await mkdir(join(contextDir, dirname(path)), { recursive: true });
      await writeFile(join(contextDir, path), content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
    }
    const tar = spawn('tar', ['--owner=0', '--group=0', '-c', '-C', contextDir, '.', '-C', dirname(libsDir), '--transform', `s,^${basename(libsDir)},libs,`, basename(libsDir)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const progress = await client.container.dockerode.buildImage(tar.stdout, { t: image, labels, rm: true, forcerm: true });
    await followDockerProgress(client, progress, `building ${image}`);
  } finally {
    await rm(contextDir, { recursive: true, force: true });
  }
}

async function followDockerProgress(client: ContainerRuntimeClient, stream: NodeJS.ReadableStream, what: string): Promise<void> {
  const lines: string[] = [];
  let failure: string | undefined;
  await new Promise<void>((resolve, reject) => {
    client.container.dockerode.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.stream) lines.push(event.stream.trimEnd());
        if (event.error) failure = event.errorDetail?.message ?? event.error;
      },
    );
  }).catch((error: Error) => {
    failure ??= error.message;
  });
  if (failure) throw new InfrastructureError(`${what} failed: ${failure}`, lines.slice(-30).join('\n'));
}
