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

/**
 * An error's message with the causes nested under it, e.g. "Listing offsets failed. (Connection to
 * 127.0.0.1:41207 failed. (connect ECONNREFUSED 127.0.0.1:41207))". Client libraries wrap the
 * error that says what went wrong (a refused connection, a timeout, Kafka's error code) in
 * generic ones; a finding that keeps only the outer message cannot be diagnosed.
 */
export function errorMessage(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return String(error);
  const own = error.message || error.name;
  if (depth >= 3) return own;
  const nested = [...(error instanceof AggregateError ? (error.errors as unknown[]) : []), error.cause].filter((inner) => inner !== undefined && inner !== null);
  const inner = [...new Set(nested.map((cause) => errorMessage(cause, depth + 1)))].filter((text) => text && !own.includes(text));
  const shown = inner.slice(0, 3).join('; ') + (inner.length > 3 ? `; and ${inner.length - 3} more` : '');
  return shown ? `${own} (${shown})` : own;
}

/** `topics[3].configs["retention.ms"]`: the path notation of every error that points inside a file. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}
