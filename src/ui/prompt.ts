/**
 * The only module that imports @inquirer/prompts. Every prompt has a flag; when prompting is not
 * allowed the caller gets a UsageError naming that flag. Ctrl-C becomes CancelledError (exit 130).
 */
import { CancelledError, UsageError } from '../errors.js';
import type { IO } from './io.js';

export interface Prompter {
  select<T extends string>(message: string, choices: { value: T; name: string; description?: string }[], flag: string, def?: T): Promise<T>;
  input(message: string, flag: string, opts?: { def?: string; validate?: (v: string) => string | true }): Promise<string>;
  secret(message: string, variable: string): Promise<string>;
  confirm(message: string, flag: string, def?: boolean): Promise<boolean>;
  checkbox<T extends string>(message: string, choices: { value: T; name: string }[], flag: string): Promise<T[]>;
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if ((err as Error)?.name === 'ExitPromptError' || (err as Error)?.name === 'AbortPromptError') throw new CancelledError('Cancelled.');
    throw err;
  }
}

export function createPrompter(io: IO): Prompter {
  const refuse = (what: string): never => {
    throw new UsageError(`missing ${what} (required when not running interactively)`);
  };
  const ctx = { input: process.stdin, output: io.stderr as NodeJS.WritableStream };
  const lib = () => import('@inquirer/prompts');
  return {
    async select(message, choices, flag, def) {
      if (!io.interactive) return refuse(flag);
      // No wrap-around: Up on the first choice stays there (a list that loops reads as endless).
      return guard((await lib()).select({ message, choices, default: def, loop: false }, ctx));
    },
    async input(message, flag, opts = {}) {
      if (!io.interactive) return refuse(flag);
      return guard((await lib()).input({ message, default: opts.def, validate: opts.validate }, ctx));
    },
    async secret(message, variable) {
      if (!io.interactive) return refuse(variable);
      return guard((await lib()).password({ message, mask: '•', validate: (v: string) => (v.trim() ? true : 'required') }, ctx));
    },
    async confirm(message, flag, def = true) {
      if (!io.interactive) return refuse(flag);
      return guard((await lib()).confirm({ message, default: def }, ctx));
    },
    async checkbox(message, choices, flag) {
      if (!io.interactive) return refuse(flag);
      return guard((await lib()).checkbox({ message, choices, loop: false }, ctx));
    },
  };
}
