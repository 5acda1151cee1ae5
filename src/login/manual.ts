/**
 * `--login manual`: the doctor prints each authorize URL; the person opens it in a browser on any
 * machine and pastes back the address the browser ended on (ChatGPT's callback, which may show an
 * error there: that is expected). Nothing is opened and nothing listens; a paste that is not a
 * URL is asked for again, up to three times. Also here: the yes/no questions a mode with a person
 * at the terminal asks.
 */
import { createInterface } from 'node:readline';
import { registerSecret } from '../http/redact.js';
import { CancelledError } from '../errors.js';
import { CONNECTOR_REDIRECT } from '../chatgpt/redirects.js';
import { LoginError, type LoginDriver, type LoginOptions, type ObtainOptions } from './driver.js';

/** A yes/no question on the terminal's input; Enter takes the default, anything else but y/yes is no. */
export function askYesNo(o: LoginOptions, question: string, def: boolean): Promise<boolean> {
  return (o.aside ?? ((w) => w()))(() => readYesNo(o, question, def));
}

async function readYesNo(o: LoginOptions, question: string, def: boolean): Promise<boolean> {
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

/** How often `--login manual` asks again when the paste is not a URL. */
const MANUAL_TRIES = 3;

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
  obtain(authorizeUrl: URL, _state: string, purpose: string, redirectUri?: string, how?: ObtainOptions & { shown?: boolean; link?: string; signal?: AbortSignal }): Promise<URL> {
    return (this.o.aside ?? ((w) => w()))(() => this.paste(authorizeUrl, purpose, redirectUri, how?.shown, how?.link, how?.signal));
  }

  private async paste(authorizeUrl: URL, purpose: string, redirectUri?: string, shown = false, link?: string, signal?: AbortSignal): Promise<URL> {
    if (signal?.aborted) throw new CancelledError('answered through the loopback listener');
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
      for (let attempt = 1; attempt <= MANUAL_TRIES; attempt++) {
        this.o.say(attempt === 1 ? 'Paste the full URL the browser ended on, then press Enter:'
          : `That is not a URL; paste the whole address from the browser bar (try ${attempt} of ${MANUAL_TRIES}):`);
        const line = await next();
        if (signal?.aborted) throw new CancelledError('answered through the loopback listener');
        if (line === undefined) throw new CancelledError('no URL was pasted');
        try {
          const u = new URL(line.trim());
          registerSecret(u.searchParams.get('code'), 'code');
          return u;
        } catch { /* ask again */ }
      }
      throw new LoginError(`no URL was pasted in ${MANUAL_TRIES} tries`, 'paste the whole address the browser ended on (it starts with https://), or use --login command in CI');
    } finally {
      rl.close();
    }
  }

  async close(): Promise<void> {}
}
