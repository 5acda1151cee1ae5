/**
 * `--login manual`: the doctor prints each authorize URL; the person opens it in a browser on any
 * machine and pastes back the address the browser ended on (ChatGPT's callback, which may show an
 * error there: that is expected). Nothing is opened and nothing listens. A paste that is not a
 * URL, or whose `state` is another sign-in's (an address from an earlier run or another tab: it
 * says nothing about the server), is refused with the reason and asked for again, up to three
 * pastes in all; a state that is a changed form of the one sent (cut short, re-encoded) is the
 * server's doing and is taken, for authz.state to judge (oauth/pkce.ts stateKinship). Also here:
 * the yes/no questions a mode with a person at the terminal asks.
 */
import { createInterface } from 'node:readline';
import { registerSecret } from '../http/redact.js';
import { CancelledError } from '../errors.js';
import { CONNECTOR_REDIRECT } from '../chatgpt/redirects.js';
import { stateKinship } from '../oauth/pkce.js';
import { LoginError, type LoginDriver, type LoginOptions, type ObtainOptions } from './driver.js';

/** A yes/no question on the terminal's input; Enter takes the default, anything else but y/yes is no. */
export function askYesNo(o: LoginOptions, question: string, def: boolean): Promise<boolean> {
  return (o.aside ?? ((w) => w()))(() => readYesNo(o, question, def));
}

/**
 * The input has ended (Ctrl-D, a pipe that closed): nothing more can be read from it, and a
 * reader made now would never hear a line or a close.
 */
function inputEnded(input: NodeJS.ReadableStream): boolean {
  const s = input as NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean };
  return s.readableEnded === true || s.destroyed === true;
}

const ENDED_HINT = 'paste each sign-in\'s address at an interactive terminal, or use --login browser (or --login command in CI)';

async function readYesNo(o: LoginOptions, question: string, def: boolean): Promise<boolean> {
  if (inputEnded(o.stdin ?? process.stdin)) return false; // no answer can come: no
  o.say(`${question} ${def ? '[Y/n]' : '[y/N]'}`);
  const rl = createInterface({ input: o.stdin ?? process.stdin, terminal: false });
  try {
    const line = await new Promise<string | undefined>((resolve) => { rl.once('line', resolve); rl.once('close', () => resolve(undefined)); });
    if (!line?.trim()) return line === undefined ? false : def;
    return /^\s*y(es)?\s*$/i.test(line);
  } finally {
    rl.close();
  }
}

/** How many pastes `--login manual` takes for one sign-in (the others: not a URL, another sign-in's). */
const MANUAL_TRIES = 3;

const FOREIGN_HINT = 'open the URL this sign-in printed, sign in, and paste the address the browser ends on then (each sign-in has its own state; an address from an earlier run is refused), or use --login browser';

export class ManualLogin implements LoginDriver {
  readonly mode = 'manual' as const;
  readonly redirectUri: string;
  /** `loopback`: the browser's listener address (a chain whose browser could not open). */
  constructor(private readonly o: LoginOptions, private readonly loopback?: string) {
    this.redirectUri = o.redirectUri ?? CONNECTOR_REDIRECT;
  }

  /** A yes/no question on the same input as the pastes; anything but y/yes is no. */
  confirm(question: string): Promise<boolean> {
    return askYesNo(this.o, question, false);
  }

  /** `link`: a line offering a shorter way to the same sign-in; `signal`: the sign-in was answered another way. */
  obtain(authorizeUrl: URL, expectedState: string, purpose: string, redirectUri?: string, how?: ObtainOptions & { shown?: boolean; link?: string; signal?: AbortSignal }): Promise<URL> {
    return (this.o.aside ?? ((w) => w()))(() => this.paste(authorizeUrl, expectedState, purpose, redirectUri, how?.shown, how?.link, how?.signal));
  }

  private async paste(authorizeUrl: URL, expectedState: string, purpose: string, redirectUri?: string, shown = false, link?: string, signal?: AbortSignal): Promise<URL> {
    if (signal?.aborted) throw new CancelledError('answered through the loopback listener');
    // The input ended at an earlier paste: this sign-in cannot be done (incomplete), and asking
    // would wait for ever.
    if (inputEnded(this.o.stdin ?? process.stdin)) throw new LoginError('the input has ended, so no address can be pasted for this sign-in', ENDED_HINT);
    const ends = `${redirectUri ?? this.redirectUri}?code=…`;
    this.o.say(shown
      ? `The browser ends on ${ends}.`
      : `Sign in to continue (${purpose}). Open this URL in a browser:\n  ${authorizeUrl.href}\nThe browser ends on ${ends} (${this.loopback ? 'a page that does not load on another machine' : 'ChatGPT may show an error there'}; that is expected).${link ? `\n${link}` : ''}`);
    const rl = createInterface({ input: this.o.stdin ?? process.stdin, terminal: false });
    signal?.addEventListener('abort', () => rl.close(), { once: true });
    const lines: string[] = [];
    let waiting: ((l: string | undefined) => void) | undefined;
    let closed = false;
    rl.on('line', (l) => { if (waiting) { const w = waiting; waiting = undefined; w(l); } else lines.push(l); });
    rl.once('close', () => { closed = true; waiting?.(undefined); });
    const next = () => new Promise<string | undefined>((resolve) => {
      if (lines.length) resolve(lines.shift());
      else if (closed) resolve(undefined);
      else waiting = resolve;
    });
    try {
      let refused: 'not-url' | 'not-callback' | 'foreign' | undefined;
      let foreign = 0;
      for (let attempt = 1; attempt <= MANUAL_TRIES; attempt++) {
        this.o.say(!refused ? 'Paste the full URL the browser ended on, then press Enter:'
          : refused === 'not-url' ? `That is not a URL; paste the whole address from the browser bar (try ${attempt} of ${MANUAL_TRIES}):`
          : refused === 'not-callback' ? `That address carries no code, no error and no state: it is not the one the sign-in ended on (the page after the server sent the browser back to ChatGPT). Paste that one (try ${attempt} of ${MANUAL_TRIES}):`
          : `That address is from another sign-in: its state is not the one this sign-in sent (an address copied from an earlier run or another tab?), so it says nothing about the server and was not used. Open the URL above, sign in, and paste the address the browser ends on (try ${attempt} of ${MANUAL_TRIES}):`);
        const line = await next();
        if (signal?.aborted) throw new CancelledError('answered through the loopback listener');
        // Input ended after a refused paste: this sign-in could not be done (incomplete), the
        // server is not at fault.
        if (line === undefined && foreign) throw new LoginError(`the pasted address came from another sign-in (its state is not the one this sign-in sent), and the input ended before another was pasted`, FOREIGN_HINT);
        if (line === undefined) throw new LoginError('the input ended before the address the browser ended on was pasted', ENDED_HINT);
        let u: URL;
        try {
          u = new URL(line.trim());
        } catch {
          refused = 'not-url';
          continue;
        }
        registerSecret(u.searchParams.get('code'), 'code');
        // A state that shares nothing with the one sent is another sign-in's; a changed form of
        // it (cut short, re-encoded) is what the server returned, judged by authz.state. No
        // state at all is the server's too (it dropped it).
        const got = u.searchParams.get('state');
        // Neither a code, an error nor a state: not a redirect back from the server at all (the
        // sign-in page, the URL the doctor printed): the person's slip, not the server's answer.
        if (got === null && !u.searchParams.has('code') && !u.searchParams.has('error')) {
          refused = 'not-callback';
          continue;
        }
        if (got !== null && stateKinship(expectedState, got) === 'foreign') {
          refused = 'foreign';
          foreign++;
          continue;
        }
        return u;
      }
      if (foreign) throw new LoginError(`${foreign} of the ${MANUAL_TRIES} pasted addresses came from another sign-in (their state is not the one this sign-in sent)`, FOREIGN_HINT);
      throw new LoginError(refused === 'not-callback' ? `no pasted address in ${MANUAL_TRIES} tries was the one the sign-in ended on (none carried a code, an error or a state)` : `no URL was pasted in ${MANUAL_TRIES} tries`, 'paste the whole address the browser ended on (it starts with https://), or use --login command in CI');
    } finally {
      rl.close();
    }
  }

  async close(): Promise<void> {}
}
