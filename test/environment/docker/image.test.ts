import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyTestcontainersDefaults } from '../../../src/environment/docker/engine.js';
import { aptMirror, kafkaImageName } from '../../../src/environment/docker/image.js';
import { tempDir } from '../../support/temp.js';

function aptDir(files: Record<string, string>): string {
  const root = tempDir('apt');
  mkdirSync(join(root, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

describe('the Debian mirror for the base image', () => {
  it('comes from a deb822 .sources stanza with a release suite and main, not security or third-party ones', async () => {
    const root = aptDir({
      'sources.list.d/nodesource.sources': 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n',
      'sources.list.d/debian.sources':
        'Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n' +
        'Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main contrib\n',
    });
    expect(await aptMirror(root)).toBe('http://mirror.example/debian');
  });

  it('comes from a one-line sources.list entry, options in brackets skipped', async () => {
    const root = aptDir({ 'sources.list': '# deb http://old/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian trixie main\n' });
    expect(await aptMirror(root)).toBe('http://mirror.example/debian');
  });

  it('is undefined when apt names no Debian archive (the caller falls back to deb.debian.org)', async () => {
    const root = aptDir({ 'sources.list.d/other.list': 'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n' });
    expect(await aptMirror(root)).toBeUndefined();
  });

  it('names the image after the Kafka version', () => {
    expect(kafkaImageName('4.3.1')).toBe('kafka-drill/kafka:4.3.1');
  });
});

describe('testcontainers settings for an air-gapped engine', () => {
  it('turns Ryuk off and points clients at localhost for a local engine, keeping what the user set', () => {
    const env: NodeJS.ProcessEnv = {};
    applyTestcontainersDefaults(env);
    expect(env).toEqual({ TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: 'localhost' });
    const userSet: NodeJS.ProcessEnv = { TESTCONTAINERS_RYUK_DISABLED: 'false', TESTCONTAINERS_HOST_OVERRIDE: 'docker.internal' };
    applyTestcontainersDefaults(userSet);
    expect(userSet).toEqual({ TESTCONTAINERS_RYUK_DISABLED: 'false', TESTCONTAINERS_HOST_OVERRIDE: 'docker.internal' });
  });

  it('leaves the host to testcontainers when DOCKER_HOST names a remote engine', () => {
    const env: NodeJS.ProcessEnv = { DOCKER_HOST: 'tcp://docker:2375' };
    applyTestcontainersDefaults(env);
    expect(env).toEqual({ DOCKER_HOST: 'tcp://docker:2375', TESTCONTAINERS_RYUK_DISABLED: 'true' });
  });
});
