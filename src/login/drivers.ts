/**
 * How the doctor obtains authorization codes (the contract's `--login` modes). Every driver
 * takes an authorize URL the doctor built itself and returns the URL the server redirected to.
 */
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { createInterface } from 'node:readline';
import { HttpFailure, type HttpClient } from '../http/client.js';
import { registerSecret } from '../http/redact.js';
import { parseJson } from '../http/json.js';
import { randomToken } from '../oauth/pkce.js';
import { safeText } from '../text.js';
import { CancelledError, CliError, EXIT, UsageError } from '../errors.js';
import { CONNECTOR_REDIRECT } from '../chatgpt/redirects.js';
import { BROWSER_NAVIGATION_HEADERS } from '../chatgpt/headers.js';
import { CookieJar, SessionLock } from './cookies.js';
import { openBrowser } from './browser.js';

export type LoginMode = 'browser' | 'manual' | 'auto' | 'command';


/**
 * The doctor could not obtain an authorization code. Usually that is on the tester's side (a
 * login page in `--login auto`, a sign-in that timed out, a failing `--login-command`, a paste
 * that is not a URL): the affected checks are then *incomplete*, not server faults. `serverSide`
 * marks the one exception: the authorization endpoint itself answered with an error page.
 */
export class LoginError extends CliError {
  constructor(message: string, hint?: string, readonly serverSide = false) {
    super(message, EXIT.incomplete, hint, 'login');
    this.name = 'LoginError';
  }
}

export interface LoginDriver {
  readonly mode: LoginMode;
  /** Whether several `obtain` calls may run at once (otherwise the suite queues them). */
  readonly concurrent?: boolean;
  readonly redirectUri: string;
  /**
   * Obtain the redirect (callback) URL for this authorize URL. `redirectUri` overrides the
   * driver's default (GPT Actions use two ChatGPT callback forms).
   */
  obtain(authorizeUrl: URL, expectedState: string, purpose: string, redirectUri?: string, how?: ObtainOptions): Promise<URL>;
  /** Ask the person a yes/no question where the mode has a person at the keyboard. */
  confirm?(question: string): Promise<boolean>;
  /**
   * Set (to the sign-in's purpose) when the server asked the person again — a sign-in or consent
   * page, seen from the callback's `Sec-Fetch-User: ?1` — on a sign-in that repeats one completed
   * in this run (the same client, scopes and resource): it asks on every sign-in.
   */
  readonly askedAgain?: string;
  close(): Promise<void>;
}

interface ObtainOptions {
  /**
   * Not on ChatGPT's path (a security check's sign-in): the person may decline it when its turn
   * comes, and it then fails with SignInDeclined.
   */
  optional?: boolean;
}

/** A sign-in the person chose not to do (the check that needed it is skipped, not failed). */
export class SignInDeclined extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'SignInDeclined';
  }
}

export interface LoginOptions {
  mode: LoginMode;
  http: HttpClient;
  /** Progress lines for people (stderr). */
  say: (line: string) => void;
  redirectUri?: string;
  loginCommand?: string;
  loginTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  /** A person at an interactive terminal answers questions (`--login browser` may ask one). */
  ask?: boolean;
  /** Run a question or a paste with the terminal to itself (the progress spinner stopped). */
  aside?: <T>(work: () => Promise<T>) => Promise<T>;
  /** The run waits for the person (a label and when it gives up), or no longer (undefined). */
  onWait?: (label: string | undefined, until?: number) => void;
  /** What the driver learned about the server (a named behaviour, for the report's notes). */
  note?: (key: string, text: string) => void;
  /**
   * `--login command` with the loopback redirect (a client the doctor registers): run the
   * command once, for a chain of every sign-in in one browser. Without it (a predefined client,
   * whose redirect URI is not loopback) the command runs once per sign-in.
   */
  chain?: boolean;
}

export async function createLoginDriver(o: LoginOptions): Promise<LoginDriver> {
  switch (o.mode) {
    case 'auto':
      return new AutoLogin(o.http, o.redirectUri ?? CONNECTOR_REDIRECT, o.note);
    case 'browser':
      return BrowserLogin.start(o);
    case 'manual':
      return new ManualLogin(o);
    case 'command':
      if (!o.loginCommand) throw new UsageError('--login command needs --login-command "CMD"');
      return o.chain ? CommandChainLogin.start(o) : new CommandLogin(o);
  }
}

const sameTarget = (candidate: URL, redirectUri: URL) =>
  candidate.origin === redirectUri.origin && candidate.pathname === redirectUri.pathname;

/**
 * Result of requesting an authorize URL without a person: the redirect chain is followed with a
 * cookie jar until a Location points at the redirect URI (which is never loaded).
 */
export type Probe =
  | { kind: 'redirect'; location: URL; hops: number }
  /**
   * The server sent the sign-in on to a URL the doctor's own host policy does not fetch (another
   * domain, a private address): a browser would follow it, so this is the doctor's limit, not
   * the server's fault. `flag` is the option that lets the doctor follow it.
   */
  | { kind: 'declined'; url: string; host: string; reason: string; flag: string; hops: number }
  | { kind: 'page'; status: number; url: string; hops: number; summary: string }
  | { kind: 'error'; status: number; url: string; hops: number; summary: string };

/**
 * `session`: the cookie jar is shared with other sign-ins, like one browser. A server may keep the
 * pending authorization in a cookie between /authorize and the next page (its interaction, or a
 * page that issues the code), so two sign-ins in one jar must never overlap from /authorize to the
 * code. The first request holds the session lock shared (an authorization granted at once ends
 * there: nothing is pending); a flow that goes on holds it exclusively from its second request
 * on, and if another flow wrote the jar in between, it starts again from /authorize under that
 * lock, so what it continues is its own request. `exclusive` holds the lock from the start (the
 * first sign-in, which creates the session). `onPending` hears that the server kept pending state
 * in a cookie.
 */
export async function probeAuthorization(http: HttpClient, start: URL, redirectUri: string, jar = new CookieJar(), session?: { lock: SessionLock; exclusive: boolean; onPending?: () => void }): Promise<Probe> {
  const target = new URL(redirectUri);
  let url = start;
  let exclusive = session?.exclusive ?? false;
  let release = session ? await (exclusive ? session.lock.exclusive() : session.lock.shared()) : undefined;
  let seen = jar.version;
  try {
    for (let hops = 0; hops < 12; hops++) {
      if (hops === 1 && session && !exclusive) {
        release!();
        release = await session.lock.exclusive();
        exclusive = true;
        if (jar.version !== seen) {
          // Another sign-in wrote the jar after our /authorize: what it holds may be that one's
          // pending request. Start again, alone this time.
          session.onPending?.();
          url = start;
          hops = -1;
          continue;
        }
      }
      // A top-level navigation in the user's browser, as ChatGPT opens the authorization URL.
      let res;
      try {
        res = await http.send({ method: 'GET', url, headers: { ...BROWSER_NAVIGATION_HEADERS, cookie: jar.header(url) } });
      } catch (err) {
        // A page the server sent the sign-in on to that does not answer: the server's own
        // redirect leads nowhere (an error of the sign-in, not of the doctor's request).
        if (err instanceof HttpFailure && hops > 0 && (err.kind === 'unreachable' || err.kind === 'tls')) {
          return { kind: 'error', status: 0, url: url.href, hops, summary: safeText(err.message, 300) };
        }
        if (!(err instanceof HttpFailure) || err.kind !== 'refused') throw err;
        const host = url.hostname.replace(/^\[|\]$/g, '');
        const flag = /--allow-private-network/.test(err.message) ? '--allow-private-network' : `--allow-host ${host}`;
        return { kind: 'declined', url: url.href, host, reason: err.message, flag, hops };
      }
      jar.store(url, res.headers['set-cookie']);
      seen = jar.version;
      const loc = res.header('location');
      if (res.status >= 300 && res.status < 400 && loc) {
        let next: URL;
        try {
          next = new URL(loc, url);
        } catch {
          return { kind: 'error', status: res.status, url: url.href, hops, summary: 'redirected to an invalid URL' };
        }
        if (next.searchParams.has('code')) registerSecret(next.searchParams.get('code'), 'code');
        if (sameTarget(next, target) || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
          return { kind: 'redirect', location: next, hops: hops + 1 };
        }
        if (hops === 0 && res.headers['set-cookie']) session?.onPending?.();
        url = next;
        continue;
      }
      const summary = summarise(res.text(), res.header('content-type'));
      if (res.status >= 400) return { kind: 'error', status: res.status, url: url.href, hops, summary };
      return { kind: 'page', status: res.status, url: url.href, hops, summary };
    }
    return { kind: 'error', status: 0, url: url.href, hops: 12, summary: 'more than 12 redirects without reaching the redirect URI (a redirect loop?)' };
  } finally {
    release?.();
  }
}

/**
 * A line about a page or error body. Server text: only its first 8 KiB are looked at, so the
 * patterns below (which scan forward from each `<`) stay cheap on a hostile 1 MiB page.
 */
const SUMMARY_SCAN = 8 * 1024;
function summarise(fullBody: string, ct: string | undefined): string {
  const body = fullBody.slice(0, SUMMARY_SCAN);
  if (ct?.includes('json')) {
    try {
      const j = parseJson(body) as Record<string, unknown>;
      if (typeof j.error === 'string') return `${safeText(j.error, 60)}${typeof j.error_description === 'string' ? `: ${safeText(j.error_description, 200)}` : ''}`;
    } catch { /* fall through */ }
  }
  const title = decodeEntities(/<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1] ?? '').trim();
  const h1 = decodeEntities(/<h1[^>]*>([^<]*)<\/h1>/i.exec(body)?.[1] ?? '').trim();
  const message = pageMessage(body, [title, h1]);
  const parts = [...new Set([title, h1, message].filter(Boolean))];
  return safeText(parts.length ? parts.join(' — ') : '(empty page)', 400);
}

/**
 * The page's own error text: a line naming an OAuth error code ("invalid_request: no connections
 * enabled for the client"), else an element whose class or id says error, else the first line of
 * text after the title and heading. Bounded; the caller escapes it.
 */
const OAUTH_ERROR_WORD = /\b(invalid_[a-z_]+|unauthorized_client|access_denied|unsupported_[a-z_]+|server_error|temporarily_unavailable|login_required|consent_required|interaction_required|redirect_uri_mismatch)\b/;
function pageMessage(html: string, shown: string[]): string {
  const lines = (block: string) => decodeEntities(block
    .replace(/<(script|style|noscript|template)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, '\n'))
    .split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).filter((l) => l && !shown.includes(l));
  const all = lines(html);
  const coded = all.find((l) => OAUTH_ERROR_WORD.test(l));
  if (coded) return coded.slice(0, 200);
  const marked = /<(\w+)\b[^>]*\b(?:class|id)\s*=\s*["'][^"']*error[^"']*["'][^>]*>([\s\S]{0,2000}?)<\/\1\s*>/i.exec(html);
  const inMarked = marked ? lines(marked[2]!)[0] : undefined;
  return (inMarked ?? all[0] ?? '').slice(0, 200);
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos|nbsp);/gi, (m, e: string) => {
    const k = e.toLowerCase();
    if (k.startsWith('#')) {
      const n = k[1] === 'x' ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
      return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : m;
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' } as Record<string, string>)[k] ?? m;
  });
}

function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/**
 * Sign-ins without a person, several at once, sharing one cookie jar per authorization server
 * like one browser: the first sign-in creates the session alone; later ones (any client) read it
 * together under a SessionLock and get their code in one redirect where the server approves at
 * once. A sign-in that goes on to the server's interaction pages (a consent for another client)
 * holds the session exclusively from there, because completing an interaction rotates the
 * session cookie (oidc-provider's resume resets the session identifier) and a flow still
 * holding the old cookie would lose the session.
 */
class AutoLogin implements LoginDriver {
  readonly mode = 'auto' as const;
  readonly concurrent = true;
  private readonly sessions = new Map<string, { jar: CookieJar; lock: SessionLock }>();
  constructor(private readonly http: HttpClient, readonly redirectUri: string, private readonly note?: (key: string, text: string) => void) {}

  async obtain(authorizeUrl: URL, _state: string, _purpose: string, redirectUri?: string): Promise<URL> {
    let session = this.sessions.get(authorizeUrl.origin);
    const first = !session;
    if (!session) this.sessions.set(authorizeUrl.origin, session = { jar: new CookieJar(), lock: new SessionLock() });
    const probe = await probeAuthorization(this.http, authorizeUrl, redirectUri ?? this.redirectUri, session.jar, { lock: session.lock, exclusive: first, onPending: () => this.note?.('pending-cookie', 'the pending authorization is kept in a cookie between /authorize and the code (sound: the doctor\'s sign-ins in one browser session never overlap there)') });
    if (probe.kind === 'redirect') return probe.location;
    if (probe.kind === 'declined') throw declinedLogin(probe);
    if (probe.kind === 'page') {
      throw new LoginError(`the authorization server showed a page (${probe.summary}) at ${safeText(probe.url, 200)} instead of redirecting back; --login auto only works with servers that approve without a login page`,
        'this server shows a login page: use --login browser, or --login command in CI');
    }
    // The page's own words first; the URL without its query (client id, state and challenge add
    // nothing a person needs, and pushed the message out of the report's line).
    throw new LoginError(`the authorization request ended with ${probe.status || 'no answer'}: ${probe.summary} (at ${safeText(withoutQuery(probe.url), 200)})`, undefined, true);
  }

  async close(): Promise<void> {}
}

/**
 * A sign-in the doctor's host policy stopped: the doctor's limit (incomplete), never the
 * server's fault — a browser, and so ChatGPT's user, follows the redirect.
 */
function declinedLogin(probe: Extract<Probe, { kind: 'declined' }>): LoginError {
  const where = probe.hops === 0 ? 'the authorization endpoint is' : 'the authorization server sent the sign-in on to';
  return new LoginError(`${where} ${safeText(withoutQuery(probe.url), 200)}, which the doctor's own host policy does not follow (${safeText(probe.host, 100)} is outside what this run may fetch); a browser follows it, so this is the doctor's limit, not a fault of the server`,
    `pass ${probe.flag} to let --login auto follow it, or use --login browser`);
}

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
class ChainLogin {
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
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
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
        const extra = step?.mismatches ? ` ${step.mismatches} callback(s) arrived with a different state and were refused: the server changes \`state\`, or something else called the loopback address.` : '';
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
    this.broken = new LoginError(`no browser could be opened: ${reason}`,
      'use --login auto (a server that approves without a page) or --login command (see the README\'s Playwright script) here, or set GPT_OAUTH_BROWSER to a browser program');
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

/** `--login browser`: the system browser (or GPT_OAUTH_BROWSER), opened once for the whole run. */
class BrowserLogin implements LoginDriver {
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

/** A yes/no question on the terminal's input; Enter takes the default, anything else but y/yes is no. */
function askYesNo(o: LoginOptions, question: string, def: boolean): Promise<boolean> {
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

class ManualLogin implements LoginDriver {
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

class CommandLogin implements LoginDriver {
  readonly mode = 'command' as const;
  readonly redirectUri: string;
  constructor(private readonly o: LoginOptions) {
    this.redirectUri = o.redirectUri ?? CONNECTOR_REDIRECT;
  }

  async obtain(authorizeUrl: URL, _state: string, _purpose: string, redirectUri?: string): Promise<URL> {
    const timeoutMs = this.o.loginTimeoutMs ?? 300_000;
    const env = { ...(this.o.env ?? process.env), GPT_OAUTH_AUTHORIZE_URL: authorizeUrl.href, GPT_OAUTH_REDIRECT_URI: redirectUri ?? this.redirectUri };
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(this.o.loginCommand!, { shell: true, env, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      const hint = 'fix the --login-command (run it by hand with GPT_OAUTH_AUTHORIZE_URL set to see what it does)';
      const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new LoginError(`--login-command did not finish within ${timeoutMs / 1000} s`, hint)); }, timeoutMs);
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (stdout.length > 65536) child.kill(); });
      child.on('error', (e) => { clearTimeout(timer); reject(new LoginError(`--login-command could not start: ${e.message}`, hint)); });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) reject(new LoginError(`--login-command exited with ${code}`, hint));
        else resolve(stdout);
      });
    });
    const last = out.trim().split(/\r?\n/).pop() ?? '';
    try {
      const u = new URL(last.trim());
      registerSecret(u.searchParams.get('code'), 'code');
      return u;
    } catch {
      throw new LoginError('--login-command must print the final redirect URL as its last line of output', 'make the --login-command print the URL the browser ended on as its last line');
    }
  }

  async close(): Promise<void> {}
}

/**
 * `--login command` once per run: the command gets the first authorization URL and, as
 * GPT_OAUTH_REDIRECT_URI, the listener's last page; it drives one browser through every
 * authorization of the chain (the listener redirects from each callback to the next) and exits
 * when the browser reaches that page. Sign-ins that must end on another redirect URI (ChatGPT's
 * own) run the command once each, as before.
 */
class CommandChainLogin implements LoginDriver {
  readonly mode = 'command' as const;
  private child?: import('node:child_process').ChildProcess;
  private readonly single: CommandLogin;
  private constructor(private readonly o: LoginOptions, private readonly chain: ChainLogin) {
    this.single = new CommandLogin(o);
  }
  get redirectUri(): string { return this.chain.redirectUri; }

  static async start(o: LoginOptions): Promise<CommandChainLogin> {
    let self: CommandChainLogin | undefined;
    const chain = await ChainLogin.start({ ...o, say: o.say }, async (url, doneUrl) => self!.run(url, doneUrl));
    self = new CommandChainLogin(o, chain);
    return self;
  }

  private async run(url: URL, doneUrl: string): Promise<void> {
    const hint = 'fix the --login-command (run it by hand with GPT_OAUTH_AUTHORIZE_URL set to see what it does)';
    const env = { ...(this.o.env ?? process.env), GPT_OAUTH_AUTHORIZE_URL: url.href, GPT_OAUTH_REDIRECT_URI: doneUrl };
    // Its own process group, so that it can be stopped with everything it started (a browser).
    const child = spawn(this.o.loginCommand!, { shell: true, env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    this.child = child;
    child.on('error', (e) => this.chain.ended(new LoginError(`--login-command could not start: ${e.message}`, hint)));
    child.on('close', (code) => {
      this.child = undefined;
      if (this.closing) return;
      // Its job ends at the last page. One that fails cannot sign in; one that ends early (an
      // older script that stops at the first callback) is started again for the next sign-in.
      this.chain.ended(code === 0 ? undefined : new LoginError(`--login-command exited with ${code}`, hint));
    });
  }

  obtain(authorizeUrl: URL, expectedState: string, purpose: string, redirectUri?: string): Promise<URL> {
    if (redirectUri && redirectUri !== this.redirectUri) return this.single.obtain(authorizeUrl, expectedState, purpose, redirectUri);
    return this.chain.obtain(authorizeUrl, expectedState, purpose);
  }

  get askedAgain(): string | undefined { return this.chain.askedAgain; }

  private closing = false;

  async close(): Promise<void> {
    this.closing = true;
    await this.chain.close();
    // The command reaches the last page now; give it a moment to exit by itself.
    const child = this.child;
    if (child) {
      // Then its whole process group: SIGTERM, and SIGKILL for what handles SIGTERM (Playwright does).
      const stop = (signal: NodeJS.Signals) => { try { process.kill(-child.pid!, signal); } catch { child.kill(signal); } };
      await new Promise<void>((r) => { const t = setTimeout(() => { stop('SIGTERM'); setTimeout(() => { stop('SIGKILL'); r(); }, 500); }, 5000); child.once('close', () => { clearTimeout(t); stop('SIGKILL'); r(); }); });
    }
  }
}

