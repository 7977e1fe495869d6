import { errorMessage } from '../errors.js';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ProbeEvidence as ProbeEvidenceSchema, type ProbeEvidence } from '../model/result.js';
import { verdictOf, type ProbeRunner, type ProbeContext, type ProbeVerdict } from './probe.js';

/**
 * A custom probe: a TypeScript or JavaScript module (relative to the spec) whose default
 * export is `async (context) => ({ status: 'passed' | 'failed', evidence?, message? })`.
 * It gets the probe context (admin connection, snapshot, credentials of restored users,
 * environment, abort signal). Its own timeoutMs bounds it; a throw is an `error` outcome.
 * The answer is validated here, at the boundary: an unknown key or a wrong type is an `error`
 * outcome naming what was wrong, so nothing malformed reaches result.json or the reports.
 * Evidence items may carry their own outcome; one without stands for the answer's status.
 * TypeScript modules load natively under tsx or vitest; under plain Node they are loaded
 * through tsx's API when tsx is installed.
 */
export const CustomProbeAnswer = z.strictObject({
  status: z.enum(['passed', 'failed']),
  evidence: z.array(ProbeEvidenceSchema.partial({ outcome: true })).optional(),
  message: z.string().optional(),
});
export type CustomProbeAnswer = z.input<typeof CustomProbeAnswer>;

export type CustomProbeFunction = (context: ProbeContext) => Promise<CustomProbeAnswer> | CustomProbeAnswer;

export class CustomProbe implements ProbeRunner {
  readonly type = 'custom';

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly modulePath: string,
    readonly timeoutMs: number,
  ) {}

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const file = isAbsolute(this.modulePath) ? this.modulePath : resolve(context.specDir, this.modulePath);
    const probe = await loadProbeFunction(file);
    const parsed = CustomProbeAnswer.safeParse(await probe(context));
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 3).map((issue) => `${answerPath(issue.path)}: ${issue.message}`);
      const more = parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : '';
      return {
        status: 'error',
        evidence: [
          {
            outcome: 'failed',
            resource: this.modulePath,
            expected: '{ status: "passed" | "failed", evidence?: [{ outcome?, expected, observed, ... }], message? }',
            observed: `invalid answer: ${problems.join('; ')}${more}`,
          },
        ],
      };
    }
    const answer = parsed.data;
    const evidence: ProbeEvidence[] = (answer.evidence ?? []).map((item) => ({ ...item, outcome: item.outcome ?? answer.status }));
    if (answer.message !== undefined || evidence.length === 0) {
      evidence.push({ outcome: answer.status, resource: this.modulePath, expected: 'passed', observed: answer.status, ...(answer.message ? { detail: answer.message } : {}) });
    }
    // A check the probe itself marks failed fails it, whatever status it answered.
    return answer.status === 'failed' ? { status: 'failed', evidence } : verdictOf(evidence);
  }
}

async function loadProbeFunction(file: string): Promise<CustomProbeFunction> {
  const url = pathToFileURL(file).href;
  let loaded: { default?: unknown };
  try {
    loaded = (await import(url)) as { default?: unknown };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw new Error(`cannot load custom probe ${file}: ${errorMessage(error)}`);
    loaded = await importTypeScript(url, file);
  }
  if (typeof loaded.default !== 'function') throw new Error(`custom probe ${file} has no default export function`);
  return loaded.default as CustomProbeFunction;
}

async function importTypeScript(url: string, file: string): Promise<{ default?: unknown }> {
  let tsx: { tsImport: (specifier: string, parent: string) => Promise<unknown> };
  try {
    tsx = (await import('tsx/esm/api' as string)) as typeof tsx;
  } catch {
    throw new Error(`custom probe ${file} is TypeScript and tsx is not installed: install tsx, or compile the probe to JavaScript`);
  }
  const loaded = (await tsx.tsImport(url, import.meta.url)) as { default?: unknown };
  return loaded;
}

/** "evidence[0].observed", or "(answer)" for the answer itself. */
function answerPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(answer)';
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}
