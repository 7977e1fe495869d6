/**
 * The hostile-input corpus (test/cli/hostile/): specs and snapshots built to break a loader —
 * an alias bomb, deep nesting, a huge file, a FIFO, /dev/zero, binary garbage, duplicate keys,
 * wrong types at depth, path traversal, an unsupported version, custom probe
 * modules missing or outside the spec's folder, illegal topic names, orphan group offsets,
 * replication factors above the broker count. Each goes through the real CLI and must end
 * with exit 2 and its exact message: the file, and the line and path inside it where there is one.
 * A few are accepted: byte order marks, and a snapshot naming the drill's own admin user.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputLimits } from '../../src/input-file.js';
import { repoRoot } from '../support/require.js';
import { tempDir } from '../support/temp.js';
import { cli } from './run-cli.js';

const corpus = 'test/cli/hostile';
const at = (file: string) => `${corpus}/${file}`;

const unsupported = (version: string) => `Kafka ${version} is not supported: kafka-drill runs the 3.9.x line and 4.0.x–4.4.x (e.g. 3.9.2, 4.3.1)`;

/** Every spec in the corpus that must be refused, and the exact lines `validate` prints for it. */
const refused: [spec: string, lines: string[]][] = [
  ['spec-alias-bomb.yaml', [`${at('spec-alias-bomb.yaml')}: YAML aliases expand to far more than the file holds (an alias bomb): refused`]],
  ['spec-binary-garbage.yaml', [`${at('spec-binary-garbage.yaml')}: the drill spec is not UTF-8 text (an invalid byte on line 2)`]],
  ['spec-deep-nesting.json', [`${at('spec-deep-nesting.json')}:2: nested more than 64 levels deep`]],
  ['spec-deep-nesting.yaml', [`${at('spec-deep-nesting.yaml')}:2: nested more than 64 levels deep`]],
  ['spec-duplicate-key.yaml', [`${at('spec-duplicate-key.yaml')}:4: YAML syntax error: Map keys must be unique`]],
  [
    'spec-illegal-topic-names.yaml',
    [
      `${at('spec-illegal-topic-names.yaml')}:1: snapshot: ${at('snapshot-illegal-topic-names.json')}: topics[0].name: ".." is not a topic name Kafka accepts`,
      `${at('snapshot-illegal-topic-names.json')}: topics[1].name: "a/b" is not a topic name Kafka accepts (only letters, digits, ".", "_" and "-")`,
      `${at('snapshot-illegal-topic-names.json')}: topics[4].name: "orders_v2" collides with "orders.v2" (topics[3]): Kafka refuses topic names that differ only in "." and "_"`,
      `${at('snapshot-illegal-topic-names.json')}: topics[6].name: "${'x'.repeat(40)}"… is 250 characters long; Kafka accepts at most 249`,
    ],
  ],
  ['spec-missing-module.yaml', [`${at('spec-missing-module.yaml')}:5: probes[0].module: "./probes/no-such-probe.ts" does not exist`]],
  [
    'spec-module-outside.yaml',
    [
      `${at('spec-module-outside.yaml')}:5: probes[0].module: "../../probes/fixtures/passing-probe.mjs" is outside the spec's folder: a custom probe module must be inside it`,
      `${at('spec-module-outside.yaml')}:8: probes[1].module: "/etc/hostname" is outside the spec's folder: a custom probe module must be inside it`,
    ],
  ],
  ['spec-name-dotdot.yaml', [`${at('spec-name-dotdot.yaml')}:1: name: ".." cannot be a drill name: it names a folder of the output`]],
  [
    'spec-name-traversal.yaml',
    [`${at('spec-name-traversal.yaml')}:1: name: "../../x" cannot be a drill name: it names a folder of the output, so it must not contain "/" or "\\"`],
  ],
  [
    'spec-orphan-offsets.yaml',
    [
      `${at('spec-orphan-offsets.yaml')}:1: snapshot: ${at('snapshot-orphan-offsets.json')}: consumerGroups[0].offsets[1].partition: partition 4 does not exist (topic "payments" has 1)`,
      `${at('snapshot-orphan-offsets.json')}: consumerGroups[0].offsets[2].topic: topic "refunds" is not in the snapshot's topics`,
    ],
  ],
  [
    'spec-rf-above-brokers.yaml',
    [
      `${at('spec-rf-above-brokers.yaml')}:3: target.brokers: 2 topics have replication factors above the target's 1 broker: orders (3), payments (2); Kafka refuses to create them. Set restore.clampReplication: true, or more brokers`,
    ],
  ],
  [
    'spec-snapshot-binary-garbage.yaml',
    [`${at('spec-snapshot-binary-garbage.yaml')}:1: snapshot: ${at('snapshot-binary-garbage.json')}: the snapshot is not UTF-8 text (an invalid byte on line 12)`],
  ],
  [
    'spec-snapshot-deep-nesting.yaml',
    [`${at('spec-snapshot-deep-nesting.yaml')}:1: snapshot: ${at('snapshot-deep-nesting.json')}: nested more than 64 levels deep at line 34 column 83`],
  ],
  ['spec-snapshot-dev-zero.yaml', [`${at('spec-snapshot-dev-zero.yaml')}:1: snapshot: /dev/zero: cannot read the snapshot: a character device, not a regular file`]],
  [
    'spec-snapshot-duplicate-key.yaml',
    [
      `${at('spec-snapshot-duplicate-key.yaml')}:1: snapshot: ${at('snapshot-duplicate-key.json')}: topics[0].replicationFactor: duplicate key "replicationFactor" (line 63 column 7)`,
    ],
  ],
  [
    'spec-snapshot-wrong-type.yaml',
    [
      `${at('spec-snapshot-wrong-type.yaml')}:1: snapshot: ${at('snapshot-wrong-type-at-depth.json')}: topics[1].partitionOffsets[0].logEndOffset: expected a whole number ≥ 0 (a safe-integer offset), got "5"`,
    ],
  ],
  [
    'spec-unsupported-version.yaml',
    [
      `${at('spec-unsupported-version.yaml')}:3: target.kafkaVersion[1]: ${unsupported('3.8.1')}`,
      `${at('spec-unsupported-version.yaml')}:3: target.kafkaVersion[2]: ${unsupported('5.0.0')}`,
    ],
  ],
  ['spec-wrong-type-at-depth.yaml', [`${at('spec-wrong-type-at-depth.yaml')}:8: probes[0].expect[0].resource.name: expected string, got array`]],
];

/** Hostile only in their encoding: a UTF-8 byte order mark is accepted. */
// A snapshot naming the drill's own admin user is drilled as it is: the restore leaves that user out (restore/security.ts).
const accepted = ['spec-bom.yaml', 'spec-reserved-user.yaml', 'spec-snapshot-bom.yaml'];

describe('the hostile-input corpus through the real CLI', () => {
  it('has a case for every spec in the corpus', () => {
    const specs = readdirSync(path.join(repoRoot, corpus)).filter((file) => file.startsWith('spec-'));
    expect(specs.sort()).toEqual([...refused.map(([spec]) => spec), ...accepted].sort());
  });

  it('validate refuses each with exit 2 and its exact message; files that cannot be committed (FIFO, huge, /dev/zero) too', async () => {
    const dir = tempDir('hostile');
    const fifoSpec = path.join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifoSpec]);
    const fifoSnapshot = path.join(dir, 'fifo-snapshot.json');
    execFileSync('mkfifo', [fifoSnapshot]);
    // Sparse files: the size is refused from the file's metadata, before a byte is read.
    const hugeSpec = path.join(dir, 'huge.yaml');
    writeFileSync(hugeSpec, 'snapshot: snapshot.json\n');
    truncateSync(hugeSpec, inputLimits.specBytes + 1);
    const hugeSnapshot = path.join(dir, 'huge-snapshot.json');
    writeFileSync(hugeSnapshot, '{');
    truncateSync(hugeSnapshot, inputLimits.snapshotBytes + 1);
    const specOf = (name: string, snapshot: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, `snapshot: ${path.basename(snapshot)}\n`);
      return file;
    };
    const generated: [file: string, lines: string[]][] = [
      [fifoSpec, [`${fifoSpec}: cannot read the drill spec: a FIFO (named pipe), not a regular file`]],
      ['/dev/zero', ['/dev/zero: cannot read the drill spec: a character device, not a regular file']],
      [hugeSpec, [`${hugeSpec}: the drill spec is ${inputLimits.specBytes + 1} bytes, over the limit of 4 MiB`]],
      [
        specOf('fifo-snapshot.yaml', fifoSnapshot),
        [`${path.join(dir, 'fifo-snapshot.yaml')}:1: snapshot: ${path.relative(repoRoot, fifoSnapshot)}: cannot read the snapshot: a FIFO (named pipe), not a regular file`],
      ],
      [
        specOf('huge-snapshot.yaml', hugeSnapshot),
        [
          `${path.join(dir, 'huge-snapshot.yaml')}:1: snapshot: ${path.relative(repoRoot, hugeSnapshot)}: the snapshot is ${inputLimits.snapshotBytes + 1} bytes, over the limit of 256 MiB`,
        ],
      ],
    ];
    const cases = [...refused.map(([spec, lines]) => [at(spec), lines] as const), ...generated];

    const { code, stdout, stderr } = await cli(['validate', ...cases.map(([file]) => file)]);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([...cases.flatMap(([, lines]) => lines), '']);
    expect(code).toBe(2);
  }, 300_000);

  it("validate accepts a spec and a snapshot that start with a UTF-8 byte order mark, and a snapshot naming the drill's own admin", async () => {
    const { code, stdout, stderr } = await cli(['validate', ...accepted.map(at)]);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: accepted.map((spec) => `ok ${at(spec)}\n`).join(''), stderr: '' });
  }, 300_000);

  it('run checks every spec before any drill starts: a bad second spec costs no environment and writes nothing', async () => {
    const out = path.join(tempDir('hostile-run'), 'reports');
    const { code, stdout, stderr } = await cli(['run', 'test/drills/fixtures/passing.yaml', at('spec-name-traversal.yaml'), at('spec-rf-above-brokers.yaml'), '--out', out]);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `kafka-drill run: ${refused.find(([spec]) => spec === 'spec-name-traversal.yaml')![1][0]}\n` + `${refused.find(([spec]) => spec === 'spec-rf-above-brokers.yaml')![1][0]}\n`,
    );
    expect(code).toBe(2);
    expect(existsSync(out)).toBe(false);
  }, 300_000);
});
