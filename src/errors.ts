/** Exit codes fixed by the contract (shared/doctor-contract.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** An error the CLI reports in one or two lines, without a stack trace (unless --debug). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    readonly hint?: string,
    readonly code = 'failed',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Missing or wrong input: exit 2. The message names the flag or variable to set. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint, 'usage');
    this.name = 'UsageError';
  }
}

/** Ctrl-C or a cancelled prompt: exit 130. */
export class CancelledError extends CliError {
  constructor(message = 'Cancelled') {
    super(message, EXIT.interrupted, undefined, 'cancelled');
    this.name = 'CancelledError';
  }
}
