import { join } from 'node:path';
import { beforeAll, describe, expect } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../../../src/runtime/distribution.js';
import { buildKafkaImage } from '../../../src/environment/docker/image.js';
import { readEvidence, startRun } from '../../drills/cli.js';
import { comparable, runOnDocker } from '../../drills/provider-equivalence.js';
import { dockerEngine } from '../../support/docker.js';
import { itWith } from '../../support/require.js';
import { tempDir } from '../../support/temp.js';

/**
 * A must-fail drill through the CLI with the process and the docker provider: it fails on both,
 * for the same one reason. (The shipped passing drills are compared in test/drills/shipped.test.ts,
 * which runs their process half anyway.)
 */

const itDocker = itWith(dockerEngine());
const out = tempDir('equivalence');

describe('process and docker providers give the same verdict', { timeout: 900_000 }, () => {
  beforeAll(async () => {
    if (dockerEngine().available) await buildKafkaImage(DEFAULT_KAFKA_VERSION);
  }, 600_000);

  itDocker('must-fail missing-acl: fails on both, for the same one reason', async () => {
    // One after the other: side by side (six brokers and two drills beside another test file) a
    // drill on two cores failed for the machine's reasons, not the provider's.
    const spec = 'drills/must-fail/missing-acl.yaml';
    const processDir = join(out, 'missing-acl-process');
    const processCode = (await startRun(spec, processDir, { ...process.env }, ['--provider', 'process']).exited).code;
    const processResult = readEvidence(processDir);
    const docker = await runOnDocker(spec, join(out, 'missing-acl-docker'));
    expect([processCode, processResult.verdict]).toEqual([1, 'failed']);
    // The refusal is in the broker's own log on both, accounted for by the probe that met it.
    expect(docker.result.runs[0]!.authorizerLog!.denials).toContainEqual(
      expect.objectContaining({ principal: 'User:shop-reader', operation: 'WRITE', resourceName: 'shop.orders', accountedBy: 'authorization-probe' }),
    );
    expect(comparable(docker.result)).toEqual(comparable(processResult));
    expect(docker.code).toBe(processCode);
  });
});
