import { describe, expect, it } from 'vitest';
import { withWorkDir } from '../../src/drill/runner.js';
import { loadSnapshot } from '../../src/snapshot/load.js';
import type { Snapshot } from '../../src/snapshot/schema.js';

describe('${drill.workDir} in connector configs and offsets', () => {
  it("becomes the run's directory in every connector string; Connect's own references stay", async () => {
    const snapshot = await loadSnapshot('fixtures/connect-snapshot.json');
    const source = snapshot.connect!.connectors[0]!;
    const withReference: Snapshot = {
      ...snapshot,
      connect: { ...snapshot.connect!, connectors: [{ ...source, config: { ...source.config, 'x.password': '${file:/etc/secrets.properties:pw}' } }] },
    };
    const [connector] = withWorkDir(withReference, '/tmp/run-1').connect!.connectors;
    expect(connector!.config.file).toBe('/tmp/run-1/lines.txt');
    expect(connector!.offsets[0]!.partition).toEqual({ filename: '/tmp/run-1/lines.txt' });
    expect(connector!.config['x.password']).toBe('${file:/etc/secrets.properties:pw}');
    // The loaded snapshot itself is untouched: another run substitutes its own directory.
    expect(withReference.connect!.connectors[0]!.config.file).toBe('${drill.workDir}/lines.txt');
  });
});
