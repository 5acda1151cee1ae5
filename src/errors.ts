/**
 * One error base for everything the CLI reports to a person: a message, an exit code, a hint and
 * a stable code for `--json`. Provider, login and HTTP failures extend it; `cli.ts` has the one
 * translator that prints them.
 */

/** Exit codes of the contract (docs/contract.md). */
/** 3: the doctor could not complete (sign-in, its own environment) — not a server fault. */
export const EXIT = { ok: 0, failed: 1, usage: 2, incomplete: 3, interrupted: 130 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    readonly hint?: string,
    readonly code: string = 'failed',
    /** Extra fields of the `--json` error object (never secrets). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }

  /** The message as a person reads it (subclasses add their context, e.g. the provider). */
  get display(): string {
    return this.message;
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
