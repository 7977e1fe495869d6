import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTree } from '../../src/environment/teardown.js';
import { tempDir } from '../support/temp.js';

describe('removeTree', () => {
  it('removes a broker-shaped tree of thousands of files, never what a link in it points to', async () => {
    const root = tempDir('remove-tree');
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'kept');
    // A name starting with a dash: it must not be read as an option of rm.
    const tree = join(root, '-data');
    for (let partition = 0; partition < 600; partition++) {
      const dir = join(tree, 'logs', `topic-${partition}-0`);
      mkdirSync(dir, { recursive: true });
      for (const file of ['00000000000000000000.log', '00000000000000000000.index', 'partition.metadata']) writeFileSync(join(dir, file), 'x');
    }
    symlinkSync(outside, join(tree, 'link-out'));
    symlinkSync(root, join(tree, 'logs', 'dir-link-out'));

    await removeTree(tree);

    expect(existsSync(tree)).toBe(false);
    expect(readFileSync(outside, 'utf8')).toBe('kept');
    expect(existsSync(root)).toBe(true);
  });

  it('is done when the tree is already gone', async () => {
    await expect(removeTree(join(tempDir('remove-tree'), 'never-made'))).resolves.toBeUndefined();
  });
});
