/**
 * Provider API calls over the shared HTTP layer: JSON in and out, bounded retries on 429
 * (Retry-After or X-RateLimit-Reset) and, for idempotent methods, on 5xx and timeouts, and one
 * error type carrying the provider's own error code.
 */
import { HttpFailure, type HttpClient, type HttpResponse } from '../http/client.js';
import { safeText } from '../text.js';
import { ProviderError, type ProviderName } from './types.js';
import { parseJson } from '../http/json.js';

export interface ProviderHttpOptions {
  provider: ProviderName;
  http: HttpClient;
  baseUrl: string;
  headers: () => Record<string, string> | Promise<Record<string, string>>;
  /** Turn an error body into the provider's code and message. */
  parseError: (status: number, body: unknown) => { code?: string; message?: string };
  /** Explain 401/403 for this provider (which key or scope is missing). */
  authHint: (status: number, code?: string) => string;
  /** The variable that sets this API's location, named when the host cannot be reached. */
  locationVariable?: string;
  maxRetries?: number;
  /** Longest single wait for a rate limit, in ms. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE', 'HEAD']);

export class ProviderHttp {
  constructor(private readonly o: ProviderHttpOptions) {}

  async call<T = Record<string, unknown>>(method: string, path: string, opts: { json?: unknown; query?: Record<string, string | number | boolean | undefined>; what?: string; /** A read sent as POST (search). */ idempotent?: boolean } = {}): Promise<T> {
    const url = new URL(this.o.baseUrl.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const maxRetries = this.o.maxRetries ?? 4;
    const sleep = this.o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    const what = opts.what ?? `${method} ${path}`;
    const retryable = opts.idempotent ?? IDEMPOTENT.has(method);
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.o.http.send({ method, url, headers: { accept: 'application/json', ...(await this.o.headers()) }, json: opts.json, rateLimit: 'return' });
      } catch (err) {
        if (err instanceof HttpFailure && retryable && attempt < maxRetries && !['bad-url', 'unreachable', 'tls'].includes(err.kind)) {
          await sleep(backoff(attempt));
          continue;
        }
        const f = err as HttpFailure;
        const where = f.kind === 'unreachable' && this.o.locationVariable ? ` (or ${this.o.locationVariable} points to the wrong place)` : '';
        throw new ProviderError(this.o.provider, `${what} failed: ${f.message}${where}`, undefined, f.kind,
          method === 'POST' ? 'The request may or may not have been applied; running the same command again finds and reuses what was created (add --rotate-secret if init then says no one has its secret).' : undefined);
      }
      if (res.status === 429 && attempt < maxRetries) {
        const ms = Math.min(rateLimitWait(res), this.o.maxWaitMs ?? 30_000);
        this.o.http.opts.onWait?.(ms, `the ${this.o.provider} rate limit (${res.header('retry-after') !== undefined ? 'Retry-After' : 'X-RateLimit-Reset'})`);
        await sleep(ms);
        continue;
      }
      if (res.status >= 500 && retryable && attempt < maxRetries) {
        await sleep(backoff(attempt));
        continue;
      }
      const text = res.text();
      let body: unknown;
      try {
        body = text ? parseJson(text) : undefined;
      } catch {
        body = undefined;
      }
      if (res.status >= 200 && res.status < 300) {
        if (body === undefined && text) throw new ProviderError(this.o.provider, `${what}: the API answered ${res.status} with a body that is not JSON`, res.status);
        return body as T;
      }
      const { code, message } = this.o.parseError(res.status, body);
      const detail = message ? safeText(message, 400) : safeText(text.slice(0, 200), 200) || `HTTP ${res.status}`;
      const hint = res.status === 401 || res.status === 403 ? this.o.authHint(res.status, code)
        : res.status === 429 ? 'The provider kept rate-limiting after several retries; wait a minute and run the command again.'
          : undefined;
      throw new ProviderError(this.o.provider, `${what} failed: ${res.status}${code ? ` ${safeText(code, 80)}` : ''}: ${detail}`, res.status, code, hint);
    }
  }
}

const backoff = (attempt: number) => Math.min(250 * 2 ** attempt, 4000);

/** Seconds from Retry-After (delta or date), else X-RateLimit-Reset (unix time), else 1 s. */
function rateLimitWait(res: HttpResponse, now = Date.now()): number {
  const ra = res.header('retry-after');
  if (ra) {
    const secs = Number(ra);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const date = Date.parse(ra);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const reset = Number(res.header('x-ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  return 1000;
}
