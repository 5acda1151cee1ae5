/**
 * `--login auto`: no person and no browser. The doctor follows the server's redirects itself, as
 * the top-level navigation of a browser would, with one cookie jar per authorization server, and
 * gets a code only where the server grants one without showing a page (the sandbox, a server
 * that approves at once). A login or consent page ends the sign-in as incomplete with what the
 * page said (use --login browser or command there); an error page is the server's answer. A
 * redirect the doctor's own host policy does not follow is the doctor's limit, never a fault.
 * `probeAuthorization` is also how checks look at /authorize without signing in.
 */
import { HttpFailure, type HttpClient } from '../http/client.js';
import { registerSecret } from '../http/redact.js';
import { safeText } from '../text.js';
import { BROWSER_NAVIGATION_HEADERS } from '../chatgpt/headers.js';
import { CookieJar, SessionLock } from './cookies.js';
import { LoginError, type LoginDriver } from './driver.js';
import { summarise } from './page.js';

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
export class AutoLogin implements LoginDriver {
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
