import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { serializeResult, type Result } from '../../src/model/result.js';
import { renderHtml } from '../../src/report/html.js';
import { scaledResult } from '../../bench/report-scale.js';
import { InputError } from '../../src/errors.js';
import { listEvidenceFiles, MANIFEST_FILE, sha256Hex, verifyEvidence } from '../../src/report/manifest.js';
import { writeReports } from '../../src/report/write.js';
import { loadFixture } from './fixtures.js';

let work: string;

function keyPair(): { privateFile: string; publicFile: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const dir = mkdtempSync(path.join(work, 'key-'));
  const privateFile = path.join(dir, 'sign.pem');
  const publicFile = path.join(dir, 'sign.pub.pem');
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateFile, publicFile };
}

/** A result whose spec and snapshot digests match two small files written beside it. */
function resultWithInputs(): { result: Result; specFile: string; snapshotFile: string } {
  const specFile = path.join(work, 'payments.yaml');
  const snapshotFile = path.join(work, 'payments-snapshot.json');
  writeFileSync(specFile, 'name: payments-nightly\n');
  writeFileSync(snapshotFile, '{"format":"kafka-drill/snapshot"}\n');
  const result = loadFixture('passed');
  result.spec.sha256 = sha256Hex(readFileSync(specFile));
  result.snapshot.sha256 = sha256Hex(readFileSync(snapshotFile));
  return { result, specFile, snapshotFile };
}

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'kafka-drill-evidence-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('evidence manifest', () => {
  it('lists every artifact and both inputs, and a good signature verifies', async () => {
    const { result, specFile, snapshotFile } = resultWithInputs();
    const { privateFile, publicFile } = keyPair();
    const out = path.join(work, 'evidence');
    const written = await writeReports(result, out, { specFile, snapshotFile, signKeyFile: privateFile, hostname: 'h' });
    expect(written.map((file) => path.relative(out, file))).toEqual([
      'result.json',
      'report.html',
      'junit.xml',
      'summary.md',
      'metrics.prom',
      'inputs/payments.yaml',
      'inputs/payments-snapshot.json',
      MANIFEST_FILE,
    ]);
    const manifest = JSON.parse(readFileSync(path.join(out, MANIFEST_FILE), 'utf8'));
    expect(manifest.files.map((entry: { path: string }) => entry.path)).toEqual(listEvidenceFiles(out));
    expect(manifest.files).toHaveLength(7);
    expect(readdirSync(out).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(verifyEvidence(out, publicFile)).toMatchObject({ ok: true, signature: 'valid', problems: [] });
  });

  it('names the file when any one byte of any artifact changes', async () => {
    const { result, specFile, snapshotFile } = resultWithInputs();
    const out = path.join(work, 'evidence');
    await writeReports(result, out, { specFile, snapshotFile, hostname: 'h' });
    const files = listEvidenceFiles(out);
    expect(files.length).toBe(7);
    for (const file of files) {
      const full = path.join(out, file);
      const original = readFileSync(full);
      const tampered = Buffer.from(original);
      const at = Math.floor(tampered.length / 2);
      tampered[at] = tampered[at]! ^ 0x01;
      writeFileSync(full, tampered);
      const check = verifyEvidence(out);
      expect(check.ok, file).toBe(false);
      expect(check.changed).toEqual([file]);
      expect(check.problems.join('\n')).toContain(`${file}: changed`);
      writeFileSync(full, original);
    }
    expect(verifyEvidence(out)).toMatchObject({ ok: true, signature: 'absent' });
  });

  it('names missing and unlisted files', async () => {
    const out = path.join(work, 'evidence');
    await writeReports(loadFixture('passed'), out, { hostname: 'h' });
    rmSync(path.join(out, 'junit.xml'));
    writeFileSync(path.join(out, 'extra.txt'), 'slipped in');
    const check = verifyEvidence(out);
    expect(check).toMatchObject({ ok: false, missing: ['junit.xml'], unlisted: ['extra.txt'] });
  });

  it('fails on a wrong public key and on a re-hashed manifest', async () => {
    const out = path.join(work, 'evidence');
    const signer = keyPair();
    const other = keyPair();
    await writeReports(loadFixture('passed'), out, { signKeyFile: signer.privateFile, hostname: 'h' });
    const wrongKey = verifyEvidence(out, other.publicFile);
    expect(wrongKey).toMatchObject({ ok: false, signature: 'invalid' });
    expect(wrongKey.problems.join('\n')).toContain('signed by another key');

    // Someone edits a report and updates its hash in the manifest: the hashes agree, the signature does not.
    const summaryFile = path.join(out, 'summary.md');
    writeFileSync(summaryFile, readFileSync(summaryFile, 'utf8') + 'all good!\n');
    const manifestFile = path.join(out, MANIFEST_FILE);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const entry = manifest.files.find((file: { path: string }) => file.path === 'summary.md');
    entry.sha256 = sha256Hex(readFileSync(summaryFile));
    entry.bytes = readFileSync(summaryFile).length;
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    expect(verifyEvidence(out).ok).toBe(true);
    expect(verifyEvidence(out, signer.publicFile)).toMatchObject({ ok: false, signature: 'invalid', changed: [] });
  });

  it('requires a signature when a public key is given', async () => {
    const out = path.join(work, 'evidence');
    await writeReports(loadFixture('passed'), out, { hostname: 'h' });
    expect(verifyEvidence(out, keyPair().publicFile)).toMatchObject({ ok: false, signature: 'absent' });
  });

  it('refuses a spec whose sha256 is not the one the result names, writing nothing', async () => {
    const { result, specFile } = resultWithInputs();
    writeFileSync(specFile, 'name: edited-after-the-run\n');
    const out = path.join(work, 'evidence');
    await expect(writeReports(result, out, { specFile, hostname: 'h' })).rejects.toThrow(InputError);
    await expect(writeReports(result, out, { specFile, hostname: 'h' })).rejects.toThrow(/payments\.yaml: sha256 is [0-9a-f]{64}, but the result was produced from a drill spec/);
    expect(existsSync(out)).toBe(false);
  });

  it('writes result.json, report.html and the inputs byte for byte, across many write buffers, in characters of every UTF-8 length', async () => {
    const { specFile, snapshotFile } = resultWithInputs();
    // A snapshot larger than one read: the copy is made of pieces too.
    writeFileSync(snapshotFile, `{"format":"kafka-drill/snapshot","pad":"${'é€😀x'.repeat(400_000)}"}\n`);
    const result = scaledResult(12_000);
    result.spec.sha256 = sha256Hex(readFileSync(specFile));
    result.snapshot.sha256 = sha256Hex(readFileSync(snapshotFile));
    const matrix = result.runs[0]!.probes.find((probe) => probe.id === 'acl-matrix')!;
    // Most bytes multi-byte, so the pieces that meet a buffer's end are longer in bytes than in characters.
    matrix.evidence.forEach((item, index) => {
      item.detail = `${'é€😀'.repeat(20 + (index % 13))} check ${index}`;
    });
    // One piece larger than the write buffer: encoded across several, never splitting a character.
    matrix.evidence[7]!.detail = `x${'€😀'.repeat(300_000)}`;
    const out = path.join(work, 'utf8');
    await writeReports(result, out, { specFile, snapshotFile, hostname: 'h' });
    const json = readFileSync(path.join(out, 'result.json'));
    expect(json.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(json.toString('utf8')).toBe(serializeResult(result));
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toBe(renderHtml(result));
    expect(readFileSync(path.join(out, 'inputs', 'payments-snapshot.json')).equals(readFileSync(snapshotFile))).toBe(true);
    expect(verifyEvidence(out).ok).toBe(true);
  });

  it('refuses a signing key that is not Ed25519', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = path.join(work, 'ec.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(writeReports(loadFixture('passed'), path.join(work, 'evidence'), { signKeyFile: keyFile })).rejects.toThrow(/expected an Ed25519 private key/);
  });
});

describe('kafka-drill report and verify-evidence', () => {
  it('exit 0 on intact evidence, 1 on a changed file or wrong key, 2 on bad input', async () => {
    const out = path.join(work, 'evidence');
    const resultFile = path.join(work, 'result.json');
    writeFileSync(resultFile, readFileSync(new URL('./fixtures/upgrade-gate-failed.json', import.meta.url)));
    const compareFile = path.join(work, 'old.json');
    writeFileSync(compareFile, readFileSync(new URL('./fixtures/passed.json', import.meta.url)));
    const signer = keyPair();

    const report = await runCli(['report', resultFile, '--out', out, '--sign-key', signer.privateFile, '--compare', compareFile, compareFile]);
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(path.join(out, 'report.html'));
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain('**Trend**');

    expect((await runCli(['verify-evidence', out, '--pub-key', signer.publicFile])).code).toBe(0);
    expect((await runCli(['verify-evidence', out, '--pub-key', keyPair().publicFile])).code).toBe(1);
    writeFileSync(path.join(out, 'junit.xml'), readFileSync(path.join(out, 'junit.xml'), 'utf8').replace('failures="3"', 'failures="0"'));
    const changed = await runCli(['verify-evidence', out]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('FAILED junit.xml: changed');

    expect((await runCli(['verify-evidence', path.join(work, 'nowhere')])).code).toBe(2);
    expect((await runCli(['verify-evidence', out, '--pub-key', path.join(work, 'missing.pem')])).code).toBe(2);
    const badResult = path.join(work, 'bad.json');
    writeFileSync(badResult, '{"format":"kafka-drill/result"}');
    const bad = await runCli(['report', badResult]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${badResult}: version:`);
    const device = await runCli(['report', '/dev/zero']);
    expect([device.code, device.stderr.trim()]).toEqual([2, 'kafka-drill report: /dev/zero: cannot read the drill result: a character device, not a regular file']);
  });
});
