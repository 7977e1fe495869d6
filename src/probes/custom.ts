import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage, type Probe, type ProbeContext, type ProbeEvidence, type ProbeVerdict } from './probe.js';

/**
 * A custom probe: a TypeScript or JavaScript module (relative to the spec) whose default
 * export is `async (context) => ({ status: 'passed' | 'failed', evidence?, message? })`.
 * It gets the probe context (admin connection, snapshot, credentials of restored users,
 * environment, abort signal). Its own timeoutMs bounds it; a throw or a malformed answer is
 * an `error` outcome. TypeScript modules load natively under tsx or vitest; under plain Node
 * they are loaded through tsx's API when tsx is installed.
 */
export interface CustomProbeAnswer {
  status: 'passed' | 'failed';
  evidence?: (Omit<ProbeEvidence, 'outcome'> & { outcome?: ProbeEvidence['outcome'] })[];
  message?: string;
}

export type CustomProbeFunction = (context: ProbeContext) => Promise<CustomProbeAnswer> | CustomProbeAnswer;

export class CustomProbe implements Probe {
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
    const answer = (await probe(context)) as unknown;
    if (!isAnswer(answer)) {
      return { status: 'error', evidence: [{ outcome: 'failed', resource: this.modulePath, expected: '{ status: "passed" | "failed", evidence?, message? }', observed: `returned ${JSON.stringify(answer)?.slice(0, 200)}` }] };
    }
    // An item without its own outcome stands for the probe's answer as a whole.
    const evidence: ProbeEvidence[] = (answer.evidence ?? []).map((item) => ({ ...item, outcome: item.outcome ?? answer.status }));
    if (answer.message !== undefined || evidence.length === 0) {
      evidence.push({ outcome: answer.status, resource: this.modulePath, expected: 'passed', observed: answer.status, ...(answer.message ? { detail: answer.message } : {}) });
    }
    return { status: answer.status, evidence };
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

function isAnswer(value: unknown): value is CustomProbeAnswer {
  if (!value || typeof value !== 'object') return false;
  const answer = value as Record<string, unknown>;
  if (answer.status !== 'passed' && answer.status !== 'failed') return false;
  if (answer.message !== undefined && typeof answer.message !== 'string') return false;
  if (answer.evidence === undefined) return true;
  return Array.isArray(answer.evidence) && answer.evidence.every((item) => item && typeof item === 'object' && typeof item.expected === 'string' && typeof item.observed === 'string');
}
