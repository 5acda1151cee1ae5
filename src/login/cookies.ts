/**
 * What `--login auto` needs of a browser: a cookie store (RFC 6265, host-only cookies with
 * paths, which is what authorization servers set) and a lock that lets several sign-ins share
 * one session the way tabs of one browser do, without racing the server's session rotation.
 */

interface Cookie { name: string; value: string; path: string }

/** RFC 6265 §5.1.4: the directory of the request path, for cookies without a Path attribute. */
function defaultPath(url: URL): string {
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class CookieJar {
  private readonly cookies = new Map<string, Cookie[]>(); // host -> cookies
  /** Bumped by every response that sets a cookie: a flow can tell that another one wrote the jar. */
  version = 0;

  store(url: URL, setCookie: string | undefined): void {
    if (!setCookie) return;
    this.version++;
    // undici joins multiple Set-Cookie headers with ", " — split on commas that start a new cookie.
    for (const part of setCookie.split(/,(?=\s*[^;,=\s]+=)/)) {
      const [pair, ...attrs] = part.trim().split(';');
      const eq = pair!.indexOf('=');
      if (eq <= 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => /^path=/i.test(a))?.slice(5).trim();
      const path = pathAttr?.startsWith('/') ? pathAttr : defaultPath(url);
      const list = this.cookies.get(url.host) ?? [];
      const kept = list.filter((c) => !(c.name === name && c.path === path));
      if (!(/expires=Thu, 01 Jan 1970/i.test(part) || /max-age=0/i.test(part))) kept.push({ name, value, path });
      this.cookies.set(url.host, kept);
    }
  }

  /** The Cookie header for a request to `url`: longer paths first (RFC 6265 §5.4). */
  header(url: URL): string {
    const list = (this.cookies.get(url.host) ?? []).filter((c) => pathMatches(url.pathname, c.path));
    return list.sort((a, b) => b.path.length - a.path.length).map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

/**
 * A reader-writer lock, first come first served. Sign-ins share one cookie jar per
 * authorization server (one session): a request that only reads the session (an authorization the server grants at
 * once) holds it shared, a sign-in that needs the server's interaction pages holds it
 * exclusively. That matters because servers rotate the session cookie when an interaction
 * finishes (oidc-provider does on every resume), and a request still carrying the old cookie
 * would land in a new, empty session.
 */
export class SessionLock {
  private readers = 0;
  private writer = false;
  private readonly queue: { exclusive: boolean; grant: () => void }[] = [];

  shared(): Promise<() => void> {
    return this.acquire(false);
  }

  exclusive(): Promise<() => void> {
    return this.acquire(true);
  }

  private acquire(exclusive: boolean): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({
        exclusive,
        grant: () => {
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            if (exclusive) this.writer = false;
            else this.readers--;
            this.pump();
          });
        },
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length && !this.writer) {
      const head = this.queue[0]!;
      if (head.exclusive && this.readers > 0) return;
      this.queue.shift();
      if (head.exclusive) this.writer = true;
      else this.readers++;
      head.grant();
      if (head.exclusive) return;
    }
  }
}
