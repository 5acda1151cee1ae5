/**
 * `--login browser`: the person signs in in their own browser (the system browser, or the
 * program GPT_OAUTH_BROWSER names), opened once for the whole run; every later sign-in continues
 * in that tab by itself (chain.ts). Where no browser can open, at a terminal, the person pastes
 * instead (as --login manual), and without one the sign-ins end at once as incomplete. At an
 * interactive terminal it may ask a yes/no question.
 */
import type { LoginDriver, LoginOptions } from './driver.js';
import { ChainLogin } from './chain.js';
import { askYesNo } from './manual.js';
import { openBrowser } from './opener.js';

/** `--login browser`: the system browser (or GPT_OAUTH_BROWSER), opened once for the whole run. */
export class BrowserLogin implements LoginDriver {
  readonly mode = 'browser' as const;
  private constructor(private readonly o: LoginOptions, private readonly chain: ChainLogin) {}
  get redirectUri(): string { return this.chain.redirectUri; }

  static async start(o: LoginOptions): Promise<BrowserLogin> {
    return new BrowserLogin(o, await ChainLogin.start(o, (url) => openBrowser(url, o.env ?? process.env)));
  }

  obtain(authorizeUrl: URL, expectedState: string, purpose: string): Promise<URL> {
    return this.chain.obtain(authorizeUrl, expectedState, purpose);
  }

  get askedAgain(): string | undefined { return this.chain.askedAgain; }

  /** Only at an interactive terminal (`ask`); otherwise there is nobody to answer. */
  get confirm(): ((question: string) => Promise<boolean>) | undefined {
    return this.o.ask ? (q) => askYesNo(this.o, q, true) : undefined;
  }

  close(): Promise<void> { return this.chain.close(); }
}
