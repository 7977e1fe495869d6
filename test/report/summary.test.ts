import { describe, expect, it } from 'vitest';
import { markdownText, renderSummary } from '../../src/report/summary.js';
import { expectGolden } from './golden.js';
import { hostile, hostileResult, loadFixture } from './fixtures.js';

/** Table cells split on pipes that are not backslash-escaped. */
function cells(row: string): number {
  return row.split(/(?<!\\)\|/).length - 2;
}

describe('summary.md', () => {
  it('matches the golden file for the failed upgrade gate', () => {
    expectGolden('upgrade-gate-failed.summary.md', renderSummary(loadFixture('upgrade-gate-failed')));
  });

  it('matches the golden file for a passed run with a trend', () => {
    expectGolden('passed-trend.summary.md', renderSummary(loadFixture('passed'), { compare: [loadFixture('interrupted')] }));
  });

  it('says an interrupted run was interrupted and never verified', () => {
    const summary = renderSummary(loadFixture('interrupted'));
    expect(summary.split('\n')[0]).toBe('### ⏹️ kafka-drill payments-nightly: Interrupted');
    expect(summary).toContain('| not verified |');
  });

  it('matches the golden file for a real drill with passed, failed and skipped checks', () => {
    expectGolden('real-mixed.summary.md', renderSummary(loadFixture('real/mixed')));
  });

  it('keeps hostile names inert: no HTML, no Markdown, tables intact', () => {
    const summary = renderSummary(hostileResult());
    expect(summary).not.toMatch(/<(script|img|b)\b/i);
    expect(summary).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(summary).not.toMatch(/[\u0000-\u0008\u202E]|\p{Cs}/u);
    expect(summary).not.toContain('**bold**');
    expect(summary).toContain('\\*\\*bold\\*\\* \\[link\\](https://example.invalid) \\| pipe \\`code\\` \\_em\\_');
    // Tables are runs of lines starting with "|"; hostile text never adds or removes a cell.
    const tables = summary.split(/\n(?!\|)/).map((block) => block.split('\n').filter((line) => line.startsWith('| ')));
    const [headline, ...others] = tables.filter((rows) => rows.length > 0);
    expect(headline!.length).toBe(3); // header and one row per version
    for (const row of headline!) expect(cells(row)).toBe(8);
    expect(others.length).toBeGreaterThan(0);
    for (const rows of others) for (const row of rows) expect(cells(row)).toBe(cells(rows[0]!));
    // Every line starts with markup the summary chose, never with user text.
    for (const line of summary.split('\n')) expect(line).toMatch(/^($|### |\*\*|- |\| |\|---|<sub>)/);
  });

  it('escapes every Markdown and HTML special character', () => {
    expect(markdownText('a|b')).toBe('a\\|b');
    expect(markdownText('<x> & y')).toBe('&lt;x&gt; &amp; y');
    expect(markdownText('line\nbreak')).toBe('line break');
    expect(markdownText(hostile.rtl)).toBe('طلبات\uFFFDorders.gpj');
  });
});
