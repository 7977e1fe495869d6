/**
 * No credential the drill handled leaks: a real drill through the CLI with passwords from an
 * environment variable, a file and the generator, one the target refuses, an automation that
 * prints them (and the admin's client properties) in several encodings, and a custom probe
 * that puts them into its evidence. While it runs, the process list is sampled; afterwards
 * every file written, stdout, stderr and every sample are scanned for every credential in
 * every common encoding.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { readEvidence, startRun } from '../drills/cli.js';
import { smallSnapshot, writeDrill } from './drill-files.js';

const READER_PASSWORD = 'r3ader pass/word+"quoted"&=';
const WRITER_PASSWORD = 'wr1ter-From-A-File~%42';
// Kafka refuses SCRAM iterations below 4096: this user's credential is refused, and must still be masked.
const REFUSED_PASSWORD = 'refused:Legacy/Pa$$word';

/** The forms a credential is written in, computed here independently of the masking code. */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
  ];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

describe('secrets', () => {
  it('appear in no written file, output line or process command line', async () => {
    const dir = tempDir('secret-scan');
    const sideFile = path.join(dir, 'seen-by-probe.json');
    writeFileSync(path.join(dir, 'writer.password'), `${WRITER_PASSWORD}\n`);
    // The probe hands the test what only the drill knows (generated passwords, the admin's), then
    // puts every credential into its evidence: as JSON, base64 and in a URL.
    writeFileSync(
      path.join(dir, 'leaky-probe.mjs'),
      `import { writeFileSync } from 'node:fs';
export default (context) => {
  const credentials = Object.fromEntries(context.credentials);
  const admin = context.connection.sasl.password;
  writeFileSync(${JSON.stringify(sideFile)}, JSON.stringify({ credentials, admin }));
  return {
    status: 'passed',
    evidence: [{ outcome: 'passed', expected: JSON.stringify(credentials), observed: Buffer.from('admin:' + admin).toString('base64'), detail: 'https://x/?p=' + encodeURIComponent(admin) }],
    message: Object.values(credentials).map((p) => Buffer.from(p).toString('base64url')).join(' '),
  };
};
`,
    );
    const snapshot = smallSnapshot();
    snapshot.scramUsers.push(
      { name: 'shop-legacy', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 1000 }] },
      { name: 'shop-auditor', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    );
    const printEverything = [
      'echo "reader=$SCAN_READER_PASSWORD"',
      'printf %s "$SCAN_READER_PASSWORD" | base64',
      'printf %s "$SCAN_REFUSED_PASSWORD" | base64 -w0; echo',
      'node -e "console.log(encodeURIComponent(process.env.SCAN_REFUSED_PASSWORD), JSON.stringify(process.env.SCAN_READER_PASSWORD))"',
      'echo "refused=$SCAN_REFUSED_PASSWORD"',
      'base64 < writer.password',
      'cat writer.password',
      'cat "$KAFKA_DRILL_COMMAND_CONFIG"',
      'echo "something failed: $SCAN_REFUSED_PASSWORD" >&2',
    ].join('; ');
    const spec = await writeDrill(dir, snapshot, {
      name: 'secret-scan',
      target: { brokers: 1, security: 'scram' },
      restore: {
        credentials: {
          'shop-reader': { env: 'SCAN_READER_PASSWORD' },
          'shop-writer': { file: './writer.password' },
          'shop-legacy': { env: 'SCAN_REFUSED_PASSWORD' },
          '*': { generate: true },
        },
      },
      probes: [{ type: 'custom', id: 'leaky', name: 'prints every credential', module: './leaky-probe.mjs', timeoutMs: 60_000 }],
      manualSteps: [
        { id: 'print-secrets', title: 'An automation that prints secrets', owner: 'test', phase: 'verify', estimateMinutes: 1, automate: { command: printEverything } },
      ],
    });

    const out = path.join(dir, 'out');
    const run = startRun(spec, out, { ...process.env, SCAN_READER_PASSWORD: READER_PASSWORD, SCAN_REFUSED_PASSWORD: REFUSED_PASSWORD });
    const processList = new Set<string>();
    let sampling = true;
    const sample = (async () => {
      while (sampling) {
        const { stdout } = await promisify(execFile)('ps', ['-eo', 'args'], { maxBuffer: 16 * 1024 * 1024 });
        for (const line of stdout.split('\n')) processList.add(line);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const { code, stdout, stderr } = await run.exited;
    sampling = false;
    await sample;

    const result = readEvidence(out);
    // The drill did what the scan relies on: the refused credential was refused, the automation and the probe ran.
    const security = result.runs[0]!.phases.find((p) => p.name === 'security')!;
    expect(
      security.findings.filter((f) => f.code === 'scram-refused').map((f) => f.object),
      `${stdout}\n${stderr}`,
    ).toEqual(['scram user shop-legacy']);
    const step = result.runs[0]!.manualSteps.find((s) => s.id === 'print-secrets')!;
    expect(step.status).toBe('automated');
    expect(step.output).toContain('reader=***');
    expect(step.output).toContain('refused=***');
    expect(result.runs[0]!.probes[0]!.status).toBe('passed');
    expect(code).toBe(1); // the refused credential fails the security phase

    const seen = JSON.parse(readFileSync(sideFile, 'utf8')) as { credentials: Record<string, string>; admin: string };
    expect(Object.keys(seen.credentials).sort()).toEqual(['shop-auditor', 'shop-reader', 'shop-writer']);
    const secrets = [READER_PASSWORD, WRITER_PASSWORD, REFUSED_PASSWORD, seen.admin, ...Object.values(seen.credentials)];

    const texts: [string, string][] = [
      ['stdout', stdout],
      ['stderr', stderr],
      ['process list', [...processList].join('\n')],
      ...filesUnder(out).map((file): [string, string] => [path.relative(out, file), readFileSync(file, 'latin1')]),
    ];
    expect(texts.map(([name]) => name)).toEqual(expect.arrayContaining(['result.json', 'report.html', 'junit.xml', 'summary.md', 'manifest.json']));
    const leaks: string[] = [];
    for (const secret of secrets) {
      for (const form of encodedForms(secret)) {
        for (const [name, text] of texts) if (text.includes(form)) leaks.push(`${name}: ${JSON.stringify(form)} (a form of ${JSON.stringify(secret)})`);
      }
    }
    expect(leaks).toEqual([]);
  }, 300_000);
});
