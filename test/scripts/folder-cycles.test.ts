import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'folder-cycles.mjs');

function tree(files: Record<string, string>): string {
  const src = join(tempDir('folder-cycles'), 'src');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, file)), { recursive: true });
    writeFileSync(join(src, file), text);
  }
  return src;
}

const check = (src: string) => execa('node', [script, src], { reject: false });

describe('scripts/folder-cycles.mjs', () => {
  it('passes the repository as it is', async () => {
    const run = await execa('node', [script], { reject: false });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
  });

  it('passes imports that only go down the floors', async () => {
    const run = await check(
      tree({
        'drill/a.ts': "import { b } from '../model/b.js';\n",
        'model/b.ts': "import { c } from '../errors.js';\nexport const b = c;\n",
        'errors.ts': 'export const c = 1;\n',
      }),
    );
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('no import cycles in src/ (3 files in 3 floors)');
  });

  it('fails on an upward import, a file cycle (type-only and dynamic imports included) and a folder with no floor', async () => {
    const run = await check(
      tree({
        'model/a.ts': "import type { D } from '../drill/d.js';\nexport type A = D;\n",
        'drill/d.ts': 'export type D = number;\n',
        'probes/x.ts': "export async function x() { return import('./y.js'); }\n",
        'probes/y.ts': "import type { z } from './z.js';\nexport type Y = typeof z;\n",
        'probes/z.ts': "export { x as z } from './x.js';\n",
        'attic/old.ts': 'export const old = 1;\n',
      }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr.split('\n')).toEqual([
      'src/attic/ has no floor: add it to FLOORS in scripts/folder-cycles.mjs',
      'folder model -> drill imports upward (1): model/a.ts -> drill/d.ts',
      'cycle between files (3): probes/x.ts -> probes/y.ts -> probes/z.ts -> probes/x.ts',
      '3 import cycle problem(s) in src/ (scripts/folder-cycles.mjs)',
    ]);
  });
});
