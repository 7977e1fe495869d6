import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfrastructureError, InputError } from '../errors.js';
import { cacheRoot } from './distribution.js';

/** Where `kafka-drill connect install` unpacks connector plugins; always on a worker's plugin path. */
export function connectPluginsDir(): string {
  return join(cacheRoot(), 'connect-plugins');
}

/**
 * Connector plugins from Maven Central into the cache's plugin directory, which every Connect
 * worker kafka-drill starts has on its plugin.path. A plugin is an archive of jars (Debezium
 * publishes `<artifact>-<version>-plugin.tar.gz`) unpacked into `<artifactId>-<version>/`.
 */
export interface PluginCoordinates {
  groupId: string;
  artifactId: string;
  version: string;
  /** Archive type and classifier: tar.gz and plugin unless the coordinates say otherwise. */
  type: string;
  classifier: string;
}

/** `group:artifact:version[:type[:classifier]]`, Maven's own order. */
export function parsePluginCoordinates(text: string): PluginCoordinates {
  const parts = text.split(':');
  if (parts.length < 3 || parts.length > 5 || parts.some((part) => !/^[\w.-]+$/.test(part))) {
    throw new InputError(`connect install: expected group:artifact:version[:type[:classifier]], e.g. io.debezium:debezium-connector-jdbc:3.6.0.Final; got ${JSON.stringify(text)}`);
  }
  const [groupId, artifactId, version, type = 'tar.gz', classifier = 'plugin'] = parts as [string, string, string, string?, string?];
  if (!['tar.gz', 'zip'].includes(type)) throw new InputError(`connect install: archive type ${type} is not supported (tar.gz or zip)`);
  return { groupId, artifactId, version, type, classifier };
}

export interface PluginInstall {
  dir: string;
  alreadyInstalled: boolean;
  seconds: number;
  jars: number;
}

export async function installConnectPlugin(coordinates: PluginCoordinates): Promise<PluginInstall> {
  const dir = join(connectPluginsDir(), `${coordinates.artifactId}-${coordinates.version}`);
  if (existsSync(join(dir, '.kafka-drill-plugin.json'))) return { dir, alreadyInstalled: true, seconds: 0, jars: await countJars(dir) };
  const started = performance.now();
  const staging = `${dir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'download'), { recursive: true });
  try {
    const artifact = [coordinates.groupId, coordinates.artifactId, coordinates.version, coordinates.type, coordinates.classifier].join(':');
    const result = await execa('mvn', ['-B', '-q', 'dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${join(staging, 'download')}`], {
      cwd: staging,
      reject: false,
      all: true,
    });
    if (result.exitCode !== 0) {
      const output = result.all ?? '';
      if (/Could not find artifact|was not found/.test(output)) throw new InputError(`connect install: ${artifact} is not on Maven Central`);
      const firstError = output.split('\n').find((line) => line.includes('[ERROR]')) ?? output.split('\n')[0];
      throw new InfrastructureError(`connect install: mvn failed to resolve ${artifact}: ${firstError?.replace(/^\[ERROR\]\s*/, '').trim()}`);
    }
    const [archive] = await readdir(join(staging, 'download'));
    if (!archive) throw new InfrastructureError(`connect install: mvn resolved ${artifact} but wrote no file`);
    const unpacked = join(staging, 'plugin');
    await mkdir(unpacked);
    const archivePath = join(staging, 'download', archive);
    if (coordinates.type === 'zip') await execa('unzip', ['-q', archivePath, '-d', unpacked]);
    else await execa('tar', ['-xzf', archivePath, '-C', unpacked]);
    await writeFile(join(unpacked, '.kafka-drill-plugin.json'), JSON.stringify({ ...coordinates, installedAt: new Date().toISOString() }, null, 2) + '\n');
    await rm(dir, { recursive: true, force: true });
    await rename(unpacked, dir);
    return { dir, alreadyInstalled: false, seconds: (performance.now() - started) / 1000, jars: await countJars(dir) };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function countJars(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((entry) => String(entry).endsWith('.jar')).length;
}
