import type { Writable } from 'node:stream';
import { terminalGuard } from '../text.js';

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
    stdout: guarded(proc.stdout),
    stderr: guarded(proc.stderr),
    env,
    color: forced || (!noColor && !!proc.stderr.isTTY),
    colorStdout: forced || (!noColor && !!proc.stdout.isTTY && !opts.json),
    interactive,
    debug: !!opts.debug,
    json: !!opts.json,
  };
}

/**
 * The stream with every string written through terminalGuard; everything else is the stream's
 * own. The original write is captured once, and a `write` installed by someone else (ora wraps
 * it to keep its spinner line clean) lives on the proxy, so the two never call each other in a loop.
 */
function guarded<W extends Writable>(stream: W): W {
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  const guardedWrite = (chunk: unknown, ...rest: unknown[]) => original(typeof chunk === 'string' ? terminalGuard(chunk) : chunk, ...rest);
  let installed: unknown;
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write') return installed ?? guardedWrite;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
    set(target, key, value) {
      if (key === 'write') { installed = value; return true; }
      return Reflect.set(target, key, value, target);
    },
  });
}
