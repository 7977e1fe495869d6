import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specProblems } from '../../src/cli/validate.js';
import { repoRoot } from '../support/require.js';
import { CLI } from '../cli/run-cli.js';

/** restore.connectors against fixtures/connect-snapshot.json (lines-source, orders-sink; both name a file). */
const snapshot = path.join(repoRoot, 'fixtures/connect-snapshot.json');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kafka-drill-connectors-spec-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function spec(name: string, connectors: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, [`snapshot: ${JSON.stringify(snapshot)}`, 'restore:', '  connectors:', ...connectors.map((line) => `    ${line}`)].join('\n') + '\n');
  return file;
}

describe('validate: restore.connectors', () => {
  it('accepts drill-owned replacements, allowExternal of an external setting, and other settings replaced freely', async () => {
    const file = await spec('good.yaml', ['lines-source: { config: { file: "${drill.workDir}/in/lines.txt", tasks.max: 1 } }', 'orders-sink: { allowExternal: [file] }']);
    expect(await specProblems(file)).toEqual([]);
  });

  it('refuses unknown placeholders and replacements the drill does not own, naming spec file, line and path; exit 2', async () => {
    const file = await spec('bad-values.yaml', [
      'lines-source:',
      '  config:',
      '    file: "${drill.workdir}/lines.txt"',
      '    topic: "${drill.nothing}"',
      'orders-sink:',
      '  config: { file: /srv/orders/sink.txt }',
    ]);
    expect(await specProblems(file)).toEqual([
      `${file}:6: restore.connectors.lines-source.config.file: unknown placeholder \${drill.workdir} (the drill provides \${drill.workDir}, \${drill.postgres.jdbcUrl}, \${drill.postgres.user}, \${drill.postgres.password})`,
      `${file}:7: restore.connectors.lines-source.config.topic: unknown placeholder \${drill.nothing} (the drill provides \${drill.workDir}, \${drill.postgres.jdbcUrl}, \${drill.postgres.user}, \${drill.postgres.password})`,
      `${file}:9: restore.connectors.orders-sink.config.file: names a file (FileStream connectors): the replacement must be a path under \${drill.workDir} (this run's own directory), not "/srv/orders/sink.txt"`,
    ]);
    const cli = await execa(CLI[0], [CLI[1], 'validate', file], { cwd: repoRoot, reject: false });
    expect(cli.exitCode).toBe(2);
    expect(cli.stderr).toContain('restore.connectors.orders-sink.config.file: names a file');
  });

  it('refuses a setting both replaced and allowed (the evidence would name the captured system, not the one used)', async () => {
    const file = await spec('both.yaml', ['orders-sink:', '  config: { file: "/srv/other/sink.txt" }', '  allowExternal: [file]']);
    expect(await specProblems(file)).toEqual([
      `${file}:5: restore.connectors.orders-sink.config.file: is also listed in allowExternal: replace it with a store the drill owns, or allow the captured one, not both`,
    ]);
  });

  it('refuses ${drill.postgres.*} without target.postgres: true (its value would be missing after Kafka started); accepts it with', async () => {
    const connectors = ['orders-sink:', '  config: { connection.password: "${drill.postgres.password}", tasks.max: "${drill.postgres.user}" }'];
    const file = await spec('no-postgres.yaml', connectors);
    expect(await specProblems(file)).toEqual([
      `${file}:5: restore.connectors.orders-sink.config["connection.password"]: \${drill.postgres.password} needs target.postgres: true (the drill's own PostgreSQL, which gives it its value)`,
      `${file}:5: restore.connectors.orders-sink.config["tasks.max"]: \${drill.postgres.user} needs target.postgres: true (the drill's own PostgreSQL, which gives it its value)`,
    ]);
    const cli = await execa(CLI[0], [CLI[1], 'validate', file], { cwd: repoRoot, reject: false });
    expect(cli.exitCode).toBe(2);
    const withPostgres = path.join(dir, 'with-postgres.yaml');
    await writeFile(withPostgres, (await readFile(file, 'utf8')).replace('restore:', 'target: { postgres: true, connect: { workers: 1 } }\nrestore:'));
    expect(await specProblems(withPostgres)).toEqual([]);
  });

  it('refuses connectors the snapshot lacks and allowExternal keys the connector lacks or that name nothing external', async () => {
    const file = await spec('bad-names.yaml', ['orders-sink:', '  allowExternal: [topics, connection.url]', 'ghost: { config: { file: "${drill.workDir}/x" } }']);
    expect(await specProblems(file)).toEqual([
      `${file}:5: restore.connectors.orders-sink.allowExternal[0]: "topics" does not name an external system (see README, "Connectors that name external systems"): nothing to allow`,
      `${file}:5: restore.connectors.orders-sink.allowExternal[1]: connector orders-sink has no setting "connection.url" in the snapshot`,
      `${file}:6: restore.connectors.ghost: connector "ghost" is not in the snapshot`,
    ]);
  });
});
