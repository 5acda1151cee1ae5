/**
 * `--login browser`: the person signs in in their own browser (the system browser, or the
 * program GPT_OAUTH_BROWSER names), opened once for the whole run; every later sign-in continues
 * in that tab by itself (chain.ts). Where no browser can open, at a terminal, the person pastes
 * instead (as --login manual), and without one the sign-ins end at once as incomplete. At an
 * interactive terminal it may ask a yes/no question.
 */
import { LoginError, type LoginDriver, type LoginOptions } from './driver.js';
import { ChainLogin, NO_BROWSER_HINT } from './chain.js';
import { askYesNo } from './manual.js';
import { noBrowserHere, openBrowser } from './opener.js';
import { safeText } from '../text.js';

/** `--login browser`: the system browser (or GPT_OAUTH_BROWSER), opened once for the whole run. */
export class BrowserLogin implements LoginDriver {
  readonly mode = 'browser' as const;
  /**
   * Without a terminal, where no browser can open (no display, a GPT_OAUTH_BROWSER that is not a
   * program): every sign-in ends at once as incomplete, without "Opening your browser" and its
   * URL (nobody could use them). At a terminal the chain goes on by pasting instead.
   */
  private readonly none?: LoginError;
  private constructor(private readonly o: LoginOptions, private readonly chain: ChainLogin) {
    const reason = o.ask ? undefined : noBrowserHere(o.env ?? process.env);
    if (reason) this.none = new LoginError(`no browser could be opened: ${safeText(reason, 300)}`, NO_BROWSER_HINT);
  }
  get redirectUri(): string { return this.chain.redirectUri; }

  static async start(o: LoginOptions): Promise<BrowserLogin> {
    return new BrowserLogin(o, await ChainLogin.start(o, (url) => openBrowser(url, o.env ?? process.env)));
  }

  obtain(authorizeUrl: URL, expectedState: string, purpose: string): Promise<URL> {
    if (this.none) return Promise.reject(this.none);
    return this.chain.obtain(authorizeUrl, expectedState, purpose);
  }

  get askedAgain(): string | undefined { return this.chain.askedAgain; }

  /** Only at an interactive terminal (`ask`); otherwise there is nobody to answer. */
  get confirm(): ((question: string) => Promise<boolean>) | undefined {
    return this.o.ask ? (q) => askYesNo(this.o, q, true) : undefined;
  }

  close(): Promise<void> { return this.chain.close(); }
}
