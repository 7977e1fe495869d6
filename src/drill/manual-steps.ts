import { execa } from 'execa';
import type { RestoreManualStep } from '../restore/phase.js';
import type { ManualStepSpec } from '../drill-spec/schema.js';
import type { ManualStep } from '../model/result.js';
import type { SecretMask } from './secrets.js';

const OUTPUT_LIMIT = 4_000;

/** What an automation may use to act on the drill's environment. */
export interface AutomationEnvironment {
  cwd: string;
  env: Record<string, string>;
  /** Every credential the drill handled: masked in captured output before it is cut to size. */
  secrets: SecretMask;
  /** Ends a running automation when the drill is interrupted. */
  signal?: AbortSignal;
}

function capturedOutput(text: string, secrets: SecretMask): string {
  const masked = secrets.mask(text);
  return masked.length > OUTPUT_LIMIT ? `…${masked.slice(-OUTPUT_LIMIT)}` : masked;
}

/** A declared step: pending for a person, or run by its `automate` command (success automates it, failure fails it). */
export async function performDeclaredStep(step: ManualStepSpec, automation: AutomationEnvironment): Promise<ManualStep> {
  const base = { id: step.id, title: step.title, owner: step.owner, phase: step.phase, estimateMinutes: step.estimateMinutes, source: 'declared' as const };
  if (!step.automate) return { ...base, automated: false, status: 'pending' };
  return { ...base, ...(await runAutomation(step.automate, automation)) };
}

/** Runs a step's `automate` command against the drill's environment, timed, its output masked and cut to size. */
export async function runAutomation(
  automate: NonNullable<ManualStepSpec['automate']>,
  automation: AutomationEnvironment,
): Promise<Pick<ManualStep, 'automated' | 'status' | 'durationMs' | 'output'>> {
  const started = performance.now();
  const { command, timeoutMs, env } = automate;
  const options = {
    cwd: automation.cwd,
    env: { ...automation.env, ...env },
    reject: false,
    all: true,
    timeout: timeoutMs ?? 300_000,
    ...(automation.signal ? { cancelSignal: automation.signal } : {}),
  } as const;
  const result = Array.isArray(command) ? await execa(command[0]!, command.slice(1), options) : await execa(command, { ...options, shell: true });
  const durationMs = Math.round(performance.now() - started);
  const outcome = result.timedOut
    ? `timed out after ${options.timeout} ms`
    : result.isCanceled
      ? 'stopped: the drill was interrupted'
      : result.failed
        ? `exited with ${result.exitCode ?? result.signal}`
        : '';
  const output = capturedOutput([outcome, result.all ?? ''].filter(Boolean).join('\n'), automation.secrets);
  return { automated: true, status: result.failed ? 'failed' : 'automated', durationMs, ...(output ? { output } : {}) };
}

export function restoreStep(step: RestoreManualStep): ManualStep {
  return {
    id: step.id,
    title: step.title,
    owner: 'recovery team',
    phase: step.phase,
    estimateMinutes: step.estimateMinutes,
    source: 'restore',
    automated: false,
    status: 'pending',
  };
}
