import { describe, expect, it } from 'vitest';
import { Result, type ProbeRecord } from '../../src/model/result.js';
import { clientMatrix } from '../../src/report/client-matrix.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderSummary } from '../../src/report/summary.js';
import { loadFixture } from './fixtures.js';

const login = 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512';
const reason = 'librdkafka < 2.6.1 repeats the SCRAM nonce; Kafka 4.x refuses it';

function cell(clientClass: 'kafkajs' | 'librdkafka' | 'java', version: string, red: boolean, expectedFailure = false): ProbeRecord {
  const library = clientClass === 'librdkafka' ? 'kcat 1.7.1 / librdkafka 2.0.2' : clientClass === 'java' ? `kafka-clients ${version}` : 'kafkajs 2.2.4';
  return {
    id: `round-trip@${clientClass}`,
    type: 'produce-consume',
    name: `produce-consume (orders) [${clientClass}]`,
    status: red ? 'failed' : 'passed',
    durationMs: 1234,
    evidence: [
      red
        ? { outcome: 'failed', resource: 'topic orders', expected: '20 records back', observed: `error: produce: ${login}`, kafkaError: 'SASL_AUTHENTICATION_FAILED' }
        : { outcome: 'passed', resource: 'topic orders', expected: '20 records back', observed: '20 records back' },
    ],
    client: { class: clientClass, library, version: library.split(' ').at(-1)!, probe: 'round-trip', processes: clientClass === 'librdkafka' ? 2 : 1 },
    ...(expectedFailure ? { expectedFailure: { reason } } : {}),
  };
}

/** A two-version result whose librdkafka × 4.3.1 cell is red (declared or not). */
function matrixResult(declared: boolean): Result {
  const base = loadFixture('upgrade-gate-failed');
  const runs = ['3.9.2', '4.3.1'].map((kafkaVersion, index) => {
    const red = kafkaVersion === '4.3.1';
    return {
      ...base.runs[index]!,
      kafkaVersion,
      probes: [cell('kafkajs', kafkaVersion, false), cell('librdkafka', kafkaVersion, red, red && declared), cell('java', kafkaVersion, false)],
    };
  });
  return Result.parse({ ...base, runs });
}

describe('client matrix in the reports', () => {
  it('has one row per probe and client class and one column per Kafka version, the red cell carrying Kafka’s error', () => {
    const matrix = clientMatrix(matrixResult(true))!;
    expect(matrix.versions).toEqual(['3.9.2', '4.3.1']);
    expect(matrix.rows.map((row) => `${row.probe} ${row.client}`)).toEqual(['round-trip kafkajs', 'round-trip librdkafka', 'round-trip java']);
    const librdkafka = matrix.rows[1]!;
    expect(librdkafka.cells.map((c) => c?.status)).toEqual(['passed', 'failed']);
    expect(librdkafka.cells[1]).toMatchObject({ kafkaError: 'SASL_AUTHENTICATION_FAILED', library: 'kcat 1.7.1 / librdkafka 2.0.2', expectedFailure: reason, processes: 2 });
    expect(clientMatrix(loadFixture('upgrade-gate-failed'))).toBeUndefined();
  });

  it('summary.md shows the matrix; a declared failure stays red, with its reason', () => {
    const summary = renderSummary(matrixResult(true));
    expect(summary).toContain('| Probe | Client | 3.9.2 | 4.3.1 |');
    const row = summary.split('\n').find((line) => line.startsWith('| round-trip | librdkafka |'))!;
    expect(row).toContain('✅ passed · kcat 1.7.1 / librdkafka 2.0.2');
    expect(row).toContain('❌ failed SASL\\_AUTHENTICATION\\_FAILED (expected failure: librdkafka &lt; 2.6.1');
  });

  it('report.html shows the red cell with Kafka’s error and marks it as a declared expected failure', () => {
    const html = renderHtml(matrixResult(true));
    const section = html.slice(html.indexOf('<section class="panel client-matrix"'), html.indexOf('</section>', html.indexOf('<section class="panel client-matrix"')));
    expect(section).toContain('<tr data-probe="round-trip" data-client="librdkafka">');
    expect(section).toMatch(
      /<td class="matrix-cell cell-failed" data-status="failed" data-expected-failure="true">\s*<span class="status status-failed">failed<\/span>\s*<code class="kafka-error">SASL_AUTHENTICATION_FAILED<\/code>/,
    );
    expect(section.match(/cell-passed/g)).toHaveLength(5);
    expect(renderHtml(loadFixture('upgrade-gate-failed'))).not.toContain('<section class="panel client-matrix"');
  });

  it('junit.xml: a declared failure is skipped with its reason (like an xfail); an undeclared one is a failure', () => {
    const declared = renderJunit(matrixResult(true), { hostname: 'ci' });
    expect(declared).toMatch(
      /<testcase [^>]*name="produce-consume \(orders\) \[librdkafka\] \[round-trip@librdkafka\]"[^>]*>\s*<skipped message="expected failure \(declared: librdkafka &lt; 2.6.1/,
    );
    const undeclared = renderJunit(matrixResult(false), { hostname: 'ci' });
    expect(undeclared).toMatch(/name="produce-consume \(orders\) \[librdkafka\] \[round-trip@librdkafka\]"[^>]*>\s*<failure [^>]*type="ProbeFailed"/);
  });
});
