/**
 * The one-tab chain behind `--login browser` and `--login command`: every sign-in of a run in
 * one browser tab, through a loopback listener on 127.0.0.1, so the person signs in once. Only a
 * callback that carries the sign-in's own state (or a changed form of it, the server's doing,
 * which authz.state judges: oauth/pkce.ts stateKinship) is taken; the tab always lands on a page (the
 * next sign-in, a page that waits for it, or a last page saying the run is done); a sign-in with
 * no answer within --login-timeout ends, with every later one, instead of waiting for nothing.
 */
import { createServer, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { registerSecret } from '../http/redact.js';
import { randomToken, stateKinship } from '../oauth/pkce.js';
import { safeText } from '../text.js';
import { CancelledError } from '../errors.js';
import { LoginError, type LoginOptions } from './driver.js';
import { askYesNo, ManualLogin } from './manual.js';

/** One authorization of the chain: its URL, the state its callback must carry, and who waits for it. */
interface ChainStep {
  url: URL;
  state: string;
  purpose: string;
  resolve: (u: URL) => void;
  reject: (e: Error) => void;
  mismatches: number;
}

/** A page of the loopback listener: no scripts, no referrer, never cached. */
function listenerPage(res: import('node:http').ServerResponse, status: number, text: string, refreshTo?: string, delaySeconds = 1): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'",
  });
  // The target is an authorization URL built from the server's metadata: escaped for the attribute.
  const to = refreshTo?.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.end(`<!doctype html><meta charset="utf-8">${to ? `<meta http-equiv="refresh" content="${delaySeconds};url=${to}">` : ''}<title>gpt-oauth</title><p>${text}</p>`);
}

/** What to do where no browser can open and there is no terminal to paste at. */
export const NO_BROWSER_HINT = 'use --login auto (a server that approves without a page) or --login command (see the README\'s Playwright script) here, or set GPT_OAUTH_BROWSER to a browser program';

/** How long the listener holds a finished sign-in's page while the doctor prepares the next one. */
const HOLD_MS = 15_000;

/**
 * Every authorization of a run in one browser tab. One loopback listener on 127.0.0.1 (an
 * ephemeral port and a random callback path for the whole run) receives each code; when the
 * state matches (checked first, in constant time) it answers with a redirect to the next pending
 * authorization, so the tab walks the whole chain and the person signs in once. Between two
 * authorizations the answer is held briefly, then a page that reloads itself on an unguessable
 * single-use path until the next one exists; the last page says the run is done. `open` is
 * called once, with the first authorization (the system browser, or a `--login command`).
 */
export class ChainLogin {
  private step?: ChainStep;
  private held?: { res: import('node:http').ServerResponse; timer: NodeJS.Timeout };
  private nextPath = `/next/${randomToken(12)}`;
  private opened = false;
  private closed = false;
  private done = 0;

  private constructor(private readonly o: LoginOptions, private readonly server: Server, readonly redirectUri: string, private readonly host: string,
    private readonly open: (url: URL, doneUrl: string) => Promise<void>) {}

  static async start(o: LoginOptions, open: (url: URL, doneUrl: string) => Promise<void>): Promise<ChainLogin> {
    const path = `/callback/${randomToken(12)}`;
    let self: ChainLogin | undefined;
    const server = createServer((req, res) => self!.handle(req.method ?? 'GET', req.url ?? '/', req.headers.host, [req.headers['sec-fetch-user']].flat()[0], res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    self = new ChainLogin(o, server, `http://${host}${path}`, host, open);
    return self;
  }

  /** Where the tab ends when the run is over (a `--login command` exits when it gets there). */
  get doneUrl(): string { return `http://${this.host}/done`; }

  /** What completed sign-ins of this run asked for (client, scopes, resource). */
  private readonly signedIn = new Set<string>();
  /** See LoginDriver.askedAgain. */
  askedAgain?: string;

  private handle(method: string, rawUrl: string, hostHeader: string | undefined, secFetchUser: string | undefined, res: import('node:http').ServerResponse): void {
    // Any web page can send this listener a request; one it cannot parse (a target like `//[`)
    // gets 400, never an exception outside the handler.
    let url: URL;
    try {
      url = new URL(rawUrl, `http://${this.host}`);
    } catch {
      return listenerPage(res, 400, 'Bad request.');
    }
    // DNS-rebinding defence: only answer requests addressed to the literal loopback host.
    if (method !== 'GET' || hostHeader !== this.host) return listenerPage(res, 404, 'Not found.');
    if (url.pathname === '/done') {
      listenerPage(res, 200, 'gpt-oauth has finished signing in. You can close this tab and return to the terminal.');
      return this.doneServed?.();
    }
    if (url.pathname === this.nextPath) {
      this.nextPath = `/next/${randomToken(12)}`; // single use
      return this.hold(res);
    }
    // The paste flow's short link: on to the sign-in in progress.
    if (this.short && url.pathname === this.short.path) {
      res.writeHead(302, { location: this.short.to.href, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
      res.end();
      return;
    }
    if (url.pathname !== new URL(this.redirectUri).pathname) return listenerPage(res, 404, 'Not found.');
    const w = this.step;
    if (!w) return listenerPage(res, 400, 'No sign-in is in progress.');
    const state = url.searchParams.get('state') ?? '';
    const a = Buffer.from(state);
    const b = Buffer.from(w.state);
    // The sign-in's own state (compared in constant time), or a changed form of it (cut short,
    // characters replaced: only who saw the state sent can return one): the server's answer, and
    // authz.state judges the change — as --login manual and auto take it. Another state, or none,
    // is not this sign-in's answer (an old tab, another sign-in, a forged request): refused.
    if ((a.length !== b.length || !timingSafeEqual(a, b)) && !['cut', 'changed'].includes(stateKinship(w.state, state))) {
      w.mismatches++;
      return listenerPage(res, 400, 'This sign-in response does not match the request gpt-oauth made (state mismatch). It was ignored.');
    }
    registerSecret(url.searchParams.get('code'), 'code');
    this.step = undefined;
    this.done++;
    // Pasting, yet the callback reached the listener (a browser on this machine, or an SSH
    // tunnel): the tab it came from is the chain's tab from now on, as if the browser had opened.
    if (this.pasting) { this.reached = true; this.opened = true; }
    // Fetch Metadata (W3C): a navigation the person started with a click (a sign-in or consent
    // form) carries Sec-Fetch-User ?1 on every request of its redirect chain. The next step then
    // starts a navigation of its own, so that its callback says only what happened in it.
    // Asked again for what was answered before (the same client, scopes and resource — a new
    // scope or audience may rightly need a new consent): the server asks every time.
    const asked = ['client_id', 'scope', 'resource'].map((k) => w.url.searchParams.getAll(k).join(' ')).join('\n');
    if (secFetchUser === '?1') {
      if (this.signedIn.has(asked)) this.askedAgain ??= w.purpose;
      this.redirectsInRow = Number.POSITIVE_INFINITY;
    }
    this.signedIn.add(asked);
    this.hold(res);
    w.resolve(url);
  }

  /** Answer with the next authorization as soon as there is one; meanwhile hold, then reload. */
  private hold(res: import('node:http').ServerResponse): void {
    if (this.closed) {
      this.send(res, new URL(this.doneUrl));
      this.sentDone?.();
      return;
    }
    if (this.step) return this.send(res, this.step.url);
    if (this.held) this.page(this.held.res, 'Superseded.', this.nextPath);
    clearTimeout(this.held?.timer);
    const timer = setTimeout(() => {
      if (this.held?.res !== res) return;
      this.held = undefined;
      this.page(res, `Sign-in ${this.done} received; gpt-oauth is preparing the next one…`, this.nextPath);
    }, HOLD_MS);
    timer.unref();
    this.held = { res, timer };
  }

  /** Redirects this listener has answered with since the tab last loaded one of its pages. */
  private redirectsInRow = 0;

  /**
   * Send the tab on: a 302, except every third step, which is a page that refreshes at once. A
   * browser follows at most 20 redirects in one navigation (Chromium's ERR_TOO_MANY_REDIRECTS,
   * Firefox's network.http.redirection-limit; Safari's is 16), and a chain of silent
   * authorizations is one navigation: three of them with up to 4 redirects each at the server
   * (3×4 + 2 of ours) stay under every limit, and a page load costs ~100 ms against a redirect's
   * few (measured in headless Chromium, 2026-12).
   */
  private send(res: import('node:http').ServerResponse, to: URL): void {
    if (this.redirectsInRow < 2) {
      this.redirectsInRow++;
      res.writeHead(302, { location: to.href, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
      res.end();
    } else {
      this.page(res, 'Continuing…', to.href, 0);
    }
  }

  /** One of the listener's pages: the redirect count starts again when the tab loads it. */
  private page(res: import('node:http').ServerResponse, text: string, refreshTo?: string, delaySeconds?: number): void {
    this.redirectsInRow = 0;
    listenerPage(res, 200, text, refreshTo, delaySeconds);
  }

  async obtain(authorizeUrl: URL, expectedState: string, purpose: string): Promise<URL> {
    if (this.broken) throw this.broken;
    if (this.pasting && !this.reached) {
      const pasted = new Promise<URL>((resolve, reject) => {
        this.step = { url: authorizeUrl, state: expectedState, purpose, resolve, reject, mismatches: 0 };
      });
      this.pasteStep(this.step!, false);
      return pasted;
    }
    const timeoutMs = this.o.loginTimeoutMs ?? 300_000;
    const result = new Promise<URL>((resolve, reject) => {
      this.step = { url: authorizeUrl, state: expectedState, purpose, resolve, reject, mismatches: 0 };
    });
    const first = !this.opened;
    if (first) {
      this.opened = true;
      this.o.say(this.o.mode === 'command'
        ? `Signing in (${purpose}) with --login-command; every sign-in of this run continues in its one browser, ending on ${this.doneUrl}`
        : `Sign in to continue (${purpose}). Opening your browser; every sign-in of this run continues in that one tab. If it does not open, visit:\n  ${authorizeUrl.href}`);
      // Not awaited: an opener that keeps running (a browser driven by a script) is a success,
      // and the tab may answer before it ends.
      this.open(authorizeUrl, this.doneUrl).catch((e: Error) => this.openFailed(e));
    } else {
      this.o.say(`  ${purpose} — in the same browser tab`);
      const held = this.held;
      if (held) {
        this.held = undefined;
        clearTimeout(held.timer);
        this.send(held.res, authorizeUrl);
      }
    }
    const waitLabel = this.o.mode === 'command' ? 'waiting for --login-command to sign in' : 'waiting for the sign-in in your browser';
    try {
      for (let round = 0; ; round++) {
        const step = this.step;
        this.o.onWait?.(waitLabel, Date.now() + timeoutMs);
        const outcome = await this.within(result, timeoutMs);
        if (outcome !== 'timeout') return outcome;
        // No answer in time. A sign-in the person does (the first) may simply not be done; later
        // ones are the tab walking on by itself: either way the tab is gone or stuck, and every
        // later sign-in would wait as long for nothing.
        const extra = step?.mismatches ? ` ${step.mismatches} callback(s) arrived with a state that is not this sign-in's (none, or one that shares nothing with it) and were refused: an old tab or another sign-in, a server that drops or replaces \`state\`, or something else called the loopback address.` : '';
        const what = this.o.mode === 'command' ? 'from the --login-command\'s browser' : 'from the browser tab';
        const lead = first && round === 0 ? `no sign-in response within ${Math.round(timeoutMs / 1000)} s` : `no answer ${what} in ${Math.round(timeoutMs / 1000)} s — was it closed?`;
        if (step && round === 0 && this.o.mode === 'browser' && this.o.ask && !this.reopened) {
          this.reopened = true;
          this.o.onWait?.(undefined);
          if (await askYesNo(this.o, `${lead[0]!.toUpperCase()}${lead.slice(1)}${lead.endsWith('?') ? '' : '.'} Open the browser at this sign-in (${purpose}) again?`, true)) {
            this.open(step.url, this.doneUrl).catch((e: Error) => this.openFailed(e));
            continue;
          }
        }
        this.step = undefined;
        const err = new LoginError(`${lead}.${extra}`.replace('?.', '?'), 'sign in within --login-timeout (seconds), or use --login command in CI');
        // The remaining sign-ins of the chain end at once, the same way.
        this.opened = false; // no tab to wait for at the end of the run
        this.broken = new LoginError(`not tried: an earlier sign-in (${purpose}) got no answer ${what} in ${Math.round(timeoutMs / 1000)} s`, err.hint);
        throw err;
      }
    } finally {
      this.o.onWait?.(undefined);
    }
  }

  /** The sign-in's result, or 'timeout' after `ms` (a pending paste after a failed open has no timeout). */
  private async within(result: Promise<URL>, ms: number): Promise<URL | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      const tick = () => { timer = setTimeout(() => (this.pastingNow ? tick() : resolve('timeout')), ms); };
      tick();
    });
    try {
      return await Promise.race([result, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The browser was offered once more after a sign-in got no answer. */
  private reopened = false;
  /** After the browser could not open, at a terminal: every sign-in by pasting the URL it ended on. */
  private pasting?: ManualLogin;
  /** A paste in progress for the sign-in that was waiting when the browser failed to open. */
  private pastingNow = false;

  /**
   * The browser could not open (no display, a missing GPT_OAUTH_BROWSER, the opener's exit
   * status). At a terminal: say so at once and go on by pasting (the URL was printed once, above).
   * Without one: the sign-in and every later one end at once as incomplete.
   */
  private openFailed(e: Error): void {
    const w = this.step;
    const reason = safeText(e.message, 300);
    this.opened = false; // no tab to send to the last page when the run ends
    if (this.o.ask && this.o.mode === 'browser') {
      this.pasting = new ManualLogin({ ...this.o, redirectUri: this.redirectUri }, this.redirectUri);
      this.o.onWait?.(undefined);
      const link = w ? this.shortLink(w.url) : undefined;
      this.o.say(`No browser can open here: ${reason}. Sign in by pasting instead (as --login manual does): open the URL above in a browser on any machine; its last page may not load — that is expected, copy its address.${link ? `\n${link}` : ''}`);
      if (!w) return;
      this.pasteStep(w, true);
      return;
    }
    this.broken = new LoginError(`no browser could be opened: ${reason}`, NO_BROWSER_HINT);
    this.step = undefined;
    w?.reject(this.broken);
  }

  /** The paste flow's short link to the sign-in in progress (`/s/<token>` → its authorization URL). */
  private short?: { path: string; to: URL };
  /** A callback of the paste flow reached the listener: the chain goes on in that tab. */
  private reached = false;

  /**
   * The line offering a short link to `to`, served by this listener — only where the person's
   * browser can reach 127.0.0.1 here: a browser on this machine (a display), or an SSH session
   * (through a tunnel). In a container or a console without a display nothing can reach it, and
   * only the full URL is printed. A public shortener is never used: the URL carries the sign-in's
   * state and challenge.
   */
  private shortLink(to: URL): string | undefined {
    const env = this.o.env ?? process.env;
    const ssh = !!(env.SSH_CONNECTION || env.SSH_CLIENT);
    const display = process.platform !== 'linux' || !!(env.DISPLAY || env.WAYLAND_DISPLAY || env.WSL_DISTRO_NAME);
    if (!ssh && !display) return undefined;
    this.short = { path: `/s/${randomToken(6)}`, to };
    const port = this.host.split(':')[1];
    const where = [display ? 'a browser on this machine' : undefined, ssh ? `your own browser through an SSH tunnel (ssh -L ${port}:127.0.0.1:${port} <this host>)` : undefined].filter(Boolean).join(', or ');
    return `Shorter, from ${where}: http://${this.host}${this.short.path} — the sign-in then completes by itself, and later ones continue in that tab.`;
  }

  /**
   * One sign-in by pasting, while the listener still takes its callback (a tab that reached the
   * short link): the first answer wins and ends the other (the paste prompt is withdrawn).
   */
  private pasteStep(w: ChainStep, shown: boolean): void {
    const stop = new AbortController();
    const { resolve, reject } = w;
    let pasted = false;
    w.resolve = (u) => {
      if (!pasted && !stop.signal.aborted) this.o.say('  The sign-in came back through the short link; no paste needed.');
      stop.abort();
      resolve(u);
    };
    w.reject = (e) => { stop.abort(); reject(e); };
    this.pastingNow = true;
    const link = shown ? undefined : this.shortLink(w.url);
    this.pasting!.obtain(w.url, w.state, w.purpose, this.redirectUri, { shown, link, signal: stop.signal })
      .then((u) => { pasted = true; if (this.step === w) this.step = undefined; w.resolve(u); }, (err: Error) => {
        if (stop.signal.aborted) return;
        if (this.step === w) this.step = undefined;
        w.reject(err);
      })
      .finally(() => { this.pastingNow = false; if (this.short?.to === w.url) this.short = undefined; });
  }

  /** Set when the browser (the command driving it) failed: later sign-ins fail the same way at once. */
  private broken?: Error;

  /**
   * The command driving the tab ended before the run did: with an error, the sign-in in progress
   * and every later one cannot complete; without one, the next sign-in starts it again.
   */
  ended(err?: Error): void {
    const w = this.step;
    if (err) {
      this.broken = err;
      this.opened = false; // no tab left to send to the last page when the run ends
      this.step = undefined;
      w?.reject(err);
    } else {
      this.opened = false;
      this.held = undefined;
      if (w) this.open(w.url, this.doneUrl).catch(() => undefined);
      this.opened = !!w;
    }
  }

  /** Resolves when the tab has been sent to the last page. */
  private sentDone?: () => void;

  /** Called when the tab loads the last page. */
  private doneServed?: () => void;

  async close(): Promise<void> {
    this.closed = true;
    let served = false;
    let wake: (() => void) | undefined;
    this.doneServed = () => { served = true; wake?.(); };
    this.step?.reject(new CancelledError('login closed'));
    const held = this.held;
    this.held = undefined;
    if (held) {
      clearTimeout(held.timer);
      this.send(held.res, new URL(this.doneUrl));
    } else if (this.opened) {
      // The tab is on the page that reloads itself every second: answer its next reload with the
      // last page (or give up after a few seconds: the person may have closed it).
      await new Promise<void>((r) => { this.sentDone = r; setTimeout(r, 3000).unref(); });
    }
    // Let the tab (or the command driving it) load the last page before the listener goes, or
    // give up after two seconds: the person may have closed the tab.
    if (this.opened && !served) await new Promise<void>((r) => { wake = r; setTimeout(r, 2000).unref(); });
    await new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections?.();
  }
}
