/**
 * Errors that end a command. Each kind maps to one exit code so CI can tell
 * bad input from a broken environment from a failed recovery.
 */
export const ExitCode = {
  ok: 0,
  drillFailed: 1,
  invalidInput: 2,
  infrastructure: 3,
  interrupted: 130,
} as const;

/** Bad input: a spec, snapshot, flag or file the user must fix. `where` is "file: path.inside" when known. */
export class InputError extends Error {
  readonly exitCode = ExitCode.invalidInput;
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** The machine or an environment could not do its part: Java missing, a broker that never came up. */
export class InfrastructureError extends Error {
  readonly exitCode = ExitCode.infrastructure;
  constructor(
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'InfrastructureError';
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof InputError || error instanceof InfrastructureError) return error.exitCode;
  return ExitCode.infrastructure;
}
