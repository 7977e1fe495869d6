/**
 * restore.data: mirror with `target.provider: docker`: the same exact-translation drill as
 * mirror.test.ts, from a live source on this host's loopback (a process-provider Kafka), into
 * brokers in containers. The Connect worker runs in the host's network, so it reaches both the
 * source on 127.0.0.1 and the target brokers through their mapped client listener.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { startEnvironment } from '../../src/environment/start.js';
import type { StartedEnvironment } from '../../src/environment/types.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { dockerEngine, labelledResources } from '../support/docker.js';
import { itWith } from '../support/require.js';
import { EXACT_DRILL, expectExactTranslation, mirrorDrill, seedMirrorSource } from './mirror-source.js';

const itDocker = itWith(dockerEngine());

describe('restore.data: mirror into a docker target', () => {
  const outRoot = mkdtempSync(path.join(tmpdir(), 'kafka-drill-mirror-docker-'));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));
  let source: StartedEnvironment | undefined;
  let stopWriting = async () => {};
  beforeAll(async () => {
    if (!dockerEngine().available) return;
    source = await startEnvironment('process', { kafkaVersion: DEFAULT_KAFKA_VERSION, brokers: 1, security: 'plaintext', heapMb: 384 });
    stopWriting = await seedMirrorSource(source.admin);
  }, 180_000);
  afterAll(async () => {
    await stopWriting();
    await source?.stop();
  });

  itDocker(
    'copies the live source with MirrorMaker 2 in a host-network worker, and every group resumes at the record it committed at',
    async () => {
      const bootstrap = source!.admin.bootstrap.join(',');
      expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
      const { run, pid } = await mirrorDrill(outRoot, bootstrap, { provider: 'docker' }, 'mirror-docker-exact', EXACT_DRILL, 0);
      expect(run.environment.provider).toBe('docker');
      expectExactTranslation(run);
      // Brokers, the Connect worker and the network: all removed with the environment.
      expect(await labelledResources({ ownerPid: pid })).toEqual({ containers: [], networks: [] });
    },
    600_000,
  );

  // The worker's own clients and MirrorMaker's target clients log in with SCRAM over TLS, trusting the drill's CA file.
  itDocker(
    'the same with target.security: sasl_ssl',
    async () => {
      const { run, pid } = await mirrorDrill(outRoot, source!.admin.bootstrap.join(','), { provider: 'docker', security: 'sasl_ssl' }, 'mirror-docker-sasl-ssl', EXACT_DRILL, 0);
      expect([run.environment.provider, run.environment.security]).toEqual(['docker', expect.stringMatching(/^SASL_SSL/)]);
      expectExactTranslation(run);
      expect(await labelledResources({ ownerPid: pid })).toEqual({ containers: [], networks: [] });
    },
    600_000,
  );
});
