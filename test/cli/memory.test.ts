import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/cli/memory.js';
import { repoRoot } from '../support/require.js';

describe('collectGarbage', () => {
  it('collects what nothing holds any more, and can be asked again', async () => {
    let held: { rows: number[] } | undefined = { rows: Array.from({ length: 10_000 }, (_, index) => index) };
    const ref = new WeakRef(held);
    held = undefined;
    // A WeakRef keeps its target alive until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
    expect(() => collectGarbage()).not.toThrow();
  });
});

describe('what `kafka-drill run` loads before its reports', () => {
  /** CommonJS packages (ES-module-only ones never show in require.cache) a plain node process has loaded after importing these built modules. */
  const packagesLoadedBy = (modules: string[]): string[] => {
    const script = [
      "import { createRequire } from 'node:module';",
      ...modules.map((module) => `await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist', module)).href)});`),
      'const loaded = Object.keys(createRequire(import.meta.url).cache);',
      'console.log(JSON.stringify([...new Set(loaded.map((file) => /.*node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file)?.[1]).filter(Boolean))]));',
    ].join('\n');
    return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
  };

  it('leaves the report renderers (Handlebars, prom-client) until the reports are written', () => {
    const atStart = packagesLoadedBy(['cli/run.js']);
    expect(atStart).toContain('kafkajs'); // the probes' client: the script saw what run loads
    expect(atStart).not.toContain('handlebars');
    expect(atStart).not.toContain('prom-client');
    expect(packagesLoadedBy(['cli/run.js', 'report/html.js', 'report/metrics.js'])).toEqual(expect.arrayContaining(['handlebars', 'prom-client']));
  });
});
