import type { Writable } from 'node:stream';

/** Global flags shared by every command (see the contract). */
export interface GlobalOptions {
  json: boolean;
  input: boolean; // false with --no-input
  color: boolean; // false with --no-color
  debug: boolean;
  config?: string;
}

/** Where a command writes: stdout for data, stderr for everything meant for a person. */
export interface IO {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Colour on stderr (human output). */
  color: boolean;
  /** Colour on stdout. */
  colorStdout: boolean;
  /** Prompts and browser opening are allowed. */
  interactive: boolean;
  debug: boolean;
  json: boolean;
}

function envFlag(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Decide colour and interactivity once, from flags, environment and TTYs. */
export function createIO(opts: Partial<GlobalOptions>, proc: {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
} = process): IO {
  const env = proc.env;
  const noColor = opts.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb';
  const forced = envFlag(env.FORCE_COLOR) && !noColor;
  const interactive = opts.input !== false && !envFlag(env.CI) && !envFlag(env.GPT_OAUTH_NO_INPUT) && !!proc.stdin.isTTY;
  return {
    stdout: proc.stdout,
    stderr: proc.stderr,
    env,
    color: forced || (!noColor && !!proc.stderr.isTTY),
    colorStdout: forced || (!noColor && !!proc.stdout.isTTY && !opts.json),
    interactive,
    debug: !!opts.debug,
    json: !!opts.json,
  };
}
