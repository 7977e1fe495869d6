import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { renderSummary } from '../../src/report/summary.js';
import { loadFixture } from './fixtures.js';

/** A connector the spec let run against the store its snapshot names (allowExternal): a warning by severity, shown red as danger. */
describe('connector-writes-external findings', () => {
  const result = structuredClone(loadFixture('passed'));
  const run = result.runs[0]!;
  const message = 'runs against the external system the snapshot names, as restore.connectors.orders-sink.allowExternal allows: file = /var/lib/orders/sink.txt';
  run.phases
    .find((phase) => phase.name === 'connectors')!
    .findings.push(
      { code: 'connector-group-differs', severity: 'info', object: 'connector orders-sink', message: 'an info finding' },
      { code: 'connector-writes-external', severity: 'warning', object: 'connector orders-sink', message },
    );

  it('the HTML report shows it first, red, labelled danger', () => {
    const html = renderHtml(result);
    const items = [...html.matchAll(/<li class="finding finding-(\w+)">\s*<span class="severity">(\w+)<\/span>/g)].map((match) => [match[1], match[2]]);
    expect(items[0]).toEqual(['danger', 'danger']);
    expect(html).toMatch(/\.finding-danger \.severity[^}]*var\(--bad\)/);
  });

  it('the summary lists it beside the errors', () => {
    expect(renderSummary(result)).toContain(`connectors danger: connector orders-sink: ${message}`);
  });
});
