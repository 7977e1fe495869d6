/**
 * Tests that need something outside node_modules (Chromium, xmllint, ../shared) skip when it is
 * missing on a developer's machine, but fail when KAFKA_DRILL_REQUIRE_ALL=1 (as CI sets it),
 * so a green CI never hides a missing install step.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

export const requireAll = process.env.KAFKA_DRILL_REQUIRE_ALL === '1';

export const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** shared/ sits beside the repository, both here and in CI's fresh clone. */
export const sharedDir = path.resolve(repoRoot, '../shared');

export interface Prerequisite {
  what: string;
  available: boolean;
}

export function executable(file: string): Prerequisite {
  try {
    accessSync(file, constants.X_OK);
    return { what: file, available: true };
  } catch {
    return { what: file, available: false };
  }
}

/** A program found on PATH. */
export function onPath(name: string): Prerequisite {
  const found = (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && executable(path.join(dir, name)).available);
  return { what: `${name} on PATH`, available: found };
}

export function fileExists(file: string): Prerequisite {
  return { what: file, available: existsSync(file) };
}

type TestBody = () => unknown;
export type ConditionalTest = (name: string, body: TestBody, timeout?: number) => void;

/** `it` when every prerequisite is there; otherwise a skipped test, or under KAFKA_DRILL_REQUIRE_ALL=1 a failing one. */
export function itWith(...prerequisites: Prerequisite[]): ConditionalTest {
  const missing = prerequisites.filter((prerequisite) => !prerequisite.available).map((prerequisite) => prerequisite.what);
  if (missing.length === 0) return (name, body, timeout) => it(name, body, timeout);
  if (requireAll) {
    return (name) =>
      it(name, () => {
        throw new Error(`missing ${missing.join(', ')} (required because KAFKA_DRILL_REQUIRE_ALL=1)`);
      });
  }
  return (name, body, timeout) => it.skip(`${name} (needs ${missing.join(', ')})`, body, timeout);
}

/** True when the prerequisites are there, for guarding beforeAll/afterAll work. */
export function allAvailable(...prerequisites: Prerequisite[]): boolean {
  return prerequisites.every((prerequisite) => prerequisite.available);
}
