import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseResult, type Result } from '../../src/model/result.js';

/**
 * real/*: results of real drills (regenerate with generate-real-results.ts). The others are
 * hand-written for what a real drill cannot show on demand (an upgrade gate that fails on one
 * version, an interrupted run, hostile text); their evidence uses the probes' own vocabulary.
 */
export const fixtureNames = ['real/mixed', 'passed', 'upgrade-gate-failed', 'interrupted'] as const;
export type FixtureName = (typeof fixtureNames)[number];

export function fixtureFile(name: FixtureName): string {
  return fileURLToPath(new URL(`./fixtures/${name}.json`, import.meta.url));
}

export function loadFixture(name: FixtureName): Result {
  const file = fixtureFile(name);
  return parseResult(readFileSync(file, 'utf8'), file);
}

export const hostile = {
  script: '<script>alert(1)</script>',
  attribute: '"><img src=x onerror=alert(2)>',
  quotes: `it's "quoted" & <b>bold</b>`,
  // Arabic with a right-to-left override, which could make what follows read backwards.
  rtl: 'طلبات\u202Eorders.gpj',
  markdown: '**bold** [link](https://example.invalid) | pipe `code` _em_ # not-a-heading',
  control: 'bell\u0007 nul\u0000 lone-surrogate\uD800 end',
  longTopic: `orders.${'x'.repeat(236)}.dlq`,
};

/** The failed upgrade-gate fixture with hostile text in every kind of user-supplied field. */
export function hostileResult(): Result {
  const result = structuredClone(loadFixture('upgrade-gate-failed'));
  result.drillName = `drill ${hostile.script}`;
  result.reason = `${hostile.quotes} ${hostile.attribute}`;
  const run = result.runs[1]!;
  run.reason = hostile.rtl;
  const topics = run.phases.find((phase) => phase.name === 'topics')!;
  topics.findings.push(
    { code: 'topic-refused', severity: 'error', object: `topic ${hostile.longTopic}`, message: `${hostile.script} ${hostile.control}`, kafkaError: hostile.attribute },
    { code: 'replication-clamped', severity: 'warning', object: `topic ${hostile.rtl}`, message: hostile.markdown },
  );
  const probe = run.probes[1]!;
  probe.name = `probe ${hostile.script}`;
  probe.evidence.push({
    outcome: 'failed',
    principal: `User:${hostile.attribute}`,
    operation: 'READ',
    resource: `TOPIC ${hostile.longTopic}`,
    expected: hostile.quotes,
    observed: hostile.control,
  });
  run.assumptions[0]!.description = hostile.markdown;
  run.manualSteps[0]!.owner = hostile.rtl;
  run.manualSteps[0]!.title = hostile.script;
  run.verify!.differences[1]!.object = `User:${hostile.script} READ TOPIC ${hostile.longTopic}`;
  return result;
}
