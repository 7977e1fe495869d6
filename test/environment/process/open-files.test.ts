import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { writeSnapshot } from '../../../src/snapshot/load.js';
import { readHostLimits } from '../../../src/environment/host-limits.js';
import { itWith, onPath, repoRoot } from '../../support/require.js';
import { CLI } from '../../cli/run-cli.js';

/** Runs `command` in the repository under `prlimit --nofile=<nofile>`: the limits the drill then inherits. */
function underLimit(nofile: string, command: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('prlimit', [`--nofile=${nofile}`, ...command], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const CHILD = 'test/environment/process/open-files-child.ts';
const hard = readHostLimits().openFiles?.hard ?? 0;
const itWithPrlimit = itWith(onPath('prlimit'));

describe('broker open-file limit (process provider)', () => {
  itWithPrlimit(
    "starts each broker with the host's hard limit as its soft limit, however low the drill's own soft limit is",
    async () => {
      expect(hard).toBeGreaterThan(4096);
      const run = await underLimit('1024:', [process.execPath, '--import', 'tsx', CHILD, '3000']);
      expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({ recorded: hard, soft: hard, hard });
    },
    300_000,
  );

  itWithPrlimit(
    'refuses to start brokers the hard limit is too low for, before any JVM starts',
    async () => {
      const run = await underLimit('1024:1024', [process.execPath, '--import', 'tsx', CHILD, '3000']);
      expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({
        error: 'InputError',
        message: "each broker needs an open-file limit of 3000; this host's hard limit is 1024",
      });
    },
    120_000,
  );

  const dir = mkdtemp(path.join(tmpdir(), 'kafka-drill-open-files-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  itWithPrlimit(
    'validate and run refuse a snapshot whose partitions need more open files than the hard limit, with exit 2 and the number needed',
    async () => {
      // 400 topics × 3 partitions on one broker: 1,200 replicas need (2,048 + 1,200) × 1.1 = 3,573 open files.
      const topics = Array.from({ length: 400 }, (_, i) => ({
        name: `t-${i}`,
        partitions: 3,
        replicationFactor: 1,
        configs: {},
        partitionOffsets: [0, 1, 2].map((partition) => ({ partition, logStartOffset: 0, logEndOffset: 0 })),
      }));
      const source = {
        clusterId: 'MkU3OEVBNTcwNTJENDM2Qg',
        kafkaVersion: '3.9.1',
        capturedAt: '2025-01-15T02:00:00.000Z',
        toolVersion: '0.1.0',
        filters: { include: ['*'], exclude: [] },
      };
      await writeSnapshot(path.join(await dir, 'snapshot.json'), {
        format: 'kafka-drill/snapshot',
        version: 1,
        source,
        topics,
        skippedTopics: [],
        clusterConfigs: { clusterDefault: {}, perBroker: {} },
        acls: [],
        scramUsers: [],
        quotas: [],
        consumerGroups: [],
      });
      const spec = path.join(await dir, 'drill.yaml');
      await writeFile(spec, ['snapshot: snapshot.json', 'target:', '  brokers: 1', ''].join('\n'));
      const problem = `${spec}:3: target.brokers: each broker needs an open-file limit of 3573 for 1200 partition replica(s) per broker; this host's hard limit is 3000`;
      for (const command of ['validate', 'run']) {
        const refused = await underLimit('1024:3000', [...CLI, command, spec]);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain(problem);
      }
      // Enough: valid (the host's vm.max_map_count is far above 3,573 maps).
      expect(await underLimit('1024:4000', [...CLI, 'validate', spec])).toMatchObject({ code: 0, stdout: `ok ${spec}\n` });
    },
    120_000,
  );
});
