import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { Agent, request, type Dispatcher } from 'undici';
import { SERVER_ACCEPT_ENCODING } from '../chatgpt/headers.js';
import { redact, redactHeaders, registerResponseSecrets } from './redact.js';
import { CliError, EXIT } from '../errors.js';
import { isLoopback } from '../url.js';

export interface HttpOptions {
  /** Per-request budget for the whole exchange, headers and body. */
  timeoutMs: number;
  /** Response bodies larger than this are refused, not truncated. */
  maxBytes: number;
  userAgent: string;
  /** Hard cap on requests per run, so a hostile server cannot make the doctor loop. */
  maxRequests?: number;
  /** Called after each exchange (used by --debug to stream the trace to stderr). */
  onTrace?: (entry: TraceEntry) => void;
  /** Which targets may be fetched (the doctor's SSRF policy). */
  policy?: import('./policy.js').UrlPolicy;
  /** Told about a deliberate wait (a rate limit), so a person sees why nothing happens. */
  onWait?: (ms: number, why: string) => void;
  /** The tag of the code that is sending (the doctor: the running check's id), for the trace. */
  tagOf?: () => string | undefined;
  /** Requests in flight per origin at most (default PER_ORIGIN_LIMIT); the rest wait their turn. */
  perOriginLimit?: number;
  /**
   * How urgent the sending code's requests are (the doctor: how many checks wait for the running
   * one). When an origin's requests queue, the most urgent go first, then first come first served.
   */
  priorityOf?: () => number;
  /** Wall-clock end of the whole run (ms since the epoch): requests after it fail, each is cut at it. */
  deadlineAt?: number;
  /** Who answers at this URL, in words ("the authorization server"), for a rate limit's message. */
  nameOf?: (url: URL) => string | undefined;
}

/**
 * The longest Retry-After the doctor waits out (within the run's deadline): a rate limit is the
 * server's answer to the doctor's own volume, never a finding, so it is honoured, not judged.
 */
const MAX_RATE_LIMIT_WAIT_MS = 60_000;
const RATE_LIMIT_RETRIES = 3;

export interface HttpRequest {
  method?: string;
  url: string | URL;
  headers?: Record<string, string>;
  /** Form-encoded body (application/x-www-form-urlencoded). */
  form?: Record<string, string | undefined>;
  /** JSON body. */
  json?: unknown;
  body?: string;
  timeoutMs?: number;
  maxBytes?: number;
  /**
   * A 429, or a 503 with Retry-After: by default waited out (Retry-After, within the deadline and
   * MAX_RATE_LIMIT_WAIT_MS) and sent again, else an HttpFailure 'rate-limited'; `return` hands
   * the answer back as it is (the provider APIs handle their own limits).
   */
  rateLimit?: 'return';
}

export interface HttpResponse {
  url: string;
  method: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  durationMs: number;
  text(): string;
  header(name: string): string | undefined;
}

export type HttpFailureKind = 'timeout' | 'too-large' | 'network' | 'unreachable' | 'tls' | 'bad-url' | 'budget' | 'refused' | 'bad-encoding' | 'deadline' | 'rate-limited';

/** An exchange that produced no usable response. Checks turn it into a finding. */
export class HttpFailure extends CliError {
  constructor(readonly kind: HttpFailureKind, message: string, readonly url: string) {
    super(message, EXIT.failed, undefined, `http_${kind.replace(/-/g, '_')}`, { kind });
    this.name = 'HttpFailure';
  }
}

export interface TraceEntry {
  seq: number;
  /** The check that made this request (set by the doctor). */
  tag?: string;
  startedAt: string;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody?: string;
  status?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  durationMs: number;
  error?: string;
}

const TRACE_BODY_LIMIT = 4096;

/**
 * Requests in flight per origin by default: 8, a little above a browser's 6 connections per
 * HTTP/1.1 host and far below HTTP/2's usual 100 streams. The doctor's negative tests must all
 * finish before its last, destructive ones (refresh-token and code replays); at 6 the sandbox
 * behind 200 ms of RTT takes ~3.5 s, most of it those requests queueing, at 8 ~2.8 s, and more
 * buys nothing (`npm run bench` prints both).
 */
export const PER_ORIGIN_LIMIT = 8;

/** One origin's requests in flight and waiting (waiters sorted by priority, then arrival). */
interface Slot { active: number; queue: { priority: number; go: () => void }[]; pumping: boolean }

export class HttpClient {
  readonly trace: TraceEntry[] = [];
  requestCount = 0;
  /** Tag recorded on the next trace entries (the doctor sets the running check's id). */
  tag?: string;
  private readonly agent: Agent;

  constructor(readonly opts: HttpOptions) {
    this.agent = new Agent({
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: { timeout: opts.timeoutMs, ...(opts.policy ? { lookup: opts.policy.lookup } : {}) },
      keepAliveTimeout: 2000,
      // Huge header blocks are a hostile-server symptom; undici refuses above this size.
      maxHeaderSize: 64 * 1024,
      // One connection pool per run; no pipelining (a request waits for its connection's answer).
      pipelining: 1,
    });
    this.agent.on('connect', () => { this.connections++; });
  }

  private readonly inFlight = new Map<string, Slot>();

  /**
   * One exchange. Never follows redirects: the caller decides each hop. A rate limit (429, or 503
   * with Retry-After) is waited out and the request sent again, or fails as 'rate-limited'.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.sendOnce(req);
      if (req.rateLimit === 'return' || !(res.status === 429 || (res.status === 503 && res.header('retry-after') !== undefined))) return res;
      const wait = retryAfterMs(res.header('retry-after'));
      const url = new URL(res.url);
      const who = this.opts.nameOf?.(url) ?? `the server at ${url.origin}`;
      const left = this.opts.deadlineAt !== undefined ? this.opts.deadlineAt - Date.now() : Infinity;
      if (wait === undefined || wait > MAX_RATE_LIMIT_WAIT_MS || wait >= left || attempt >= RATE_LIMIT_RETRIES) {
        const why = wait === undefined ? 'without Retry-After'
          : attempt >= RATE_LIMIT_RETRIES ? `still after ${attempt} waits`
            : `Retry-After ${Math.ceil(wait / 1000)} s, ${wait >= left ? 'beyond the run\'s --deadline' : `over the ${MAX_RATE_LIMIT_WAIT_MS / 1000} s the doctor waits`}`;
        throw new HttpFailure('rate-limited', `rate-limited by ${who} (${res.status} on ${res.method} ${url.origin}${url.pathname}, ${why})`, res.url);
      }
      this.opts.onWait?.(wait, `${who}'s rate limit (Retry-After)`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async sendOnce(req: HttpRequest): Promise<HttpResponse> {
    let origin = '';
    try { origin = new URL(req.url).origin; } catch { /* reported by exchange */ }
    const slot = this.inFlight.get(origin) ?? { active: 0, queue: [], pumping: false };
    this.inFlight.set(origin, slot);
    const limit = this.opts.perOriginLimit ?? PER_ORIGIN_LIMIT;
    if (this.opts.priorityOf || slot.active >= limit) {
      // With priorities, every request queues until the end of this turn of the event loop, so
      // of the requests sent together (one check's end often releases several) the most urgent
      // take the free places, not the first to ask.
      const priority = this.opts.priorityOf?.() ?? 0;
      await new Promise<void>((go) => {
        // Behind every waiter of the same or a higher priority (stable: first come first served).
        const at = slot.queue.findIndex((w) => w.priority < priority);
        slot.queue.splice(at < 0 ? slot.queue.length : at, 0, { priority, go });
        this.pump(slot, limit);
      });
    } else {
      slot.active++;
    }
    try {
      return await this.exchange(req);
    } finally {
      slot.active--;
      this.pump(slot, limit);
    }
  }

  /** Soon (after the requests of this turn have queued), hand free places to the most urgent. */
  private pump(slot: Slot, limit: number): void {
    if (slot.pumping || !slot.queue.length) return;
    slot.pumping = true;
    setImmediate(() => {
      slot.pumping = false;
      while (slot.active < limit && slot.queue.length) {
        slot.active++;
        slot.queue.shift()!.go();
      }
    });
  }

  /** Connections opened so far (keep-alive reuses one per origin where it can). */
  connections = 0;

  private async exchange(req: HttpRequest): Promise<HttpResponse> {
    const method = (req.method ?? (req.form || req.json !== undefined || req.body !== undefined ? 'POST' : 'GET')).toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new HttpFailure('bad-url', `not a valid URL: ${String(req.url).slice(0, 200)}`, String(req.url));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new HttpFailure('bad-url', `refusing to fetch a ${url.protocol} URL`, url.href);
    }
    const refusal = this.opts.policy?.check(url);
    if (refusal) throw new HttpFailure('refused', refusal, url.href);
    const max = this.opts.maxRequests ?? 400;
    if (this.requestCount >= max) {
      throw new HttpFailure('budget', `request budget of ${max} exhausted; stopping to avoid a loop`, url.href);
    }
    const left = this.opts.deadlineAt !== undefined ? this.opts.deadlineAt - Date.now() : Infinity;
    if (left <= 0) throw new HttpFailure('deadline', 'the run reached its --deadline; no more requests are sent', url.href);
    this.requestCount++;

    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, ...lower(req.headers ?? {}) };
    let body: string | undefined = req.body;
    if (req.form) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(req.form)) if (v !== undefined) form.set(k, v);
      body = form.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] ??= 'application/json';
    }
    headers.accept ??= 'application/json';
    headers['accept-encoding'] ??= SERVER_ACCEPT_ENCODING;

    const wanted = req.timeoutMs ?? this.opts.timeoutMs;
    const timeoutMs = Math.max(1, Math.min(wanted, left));
    const cutByDeadline = left < wanted;
    const maxBytes = req.maxBytes ?? this.opts.maxBytes;
    const started = performance.now();
    const entry: TraceEntry = {
      seq: this.trace.length + 1,
      tag: this.opts.tagOf?.() ?? this.tag,
      startedAt: new Date().toISOString(),
      method,
      url: url.href,
      requestHeaders: headers,
      requestBody: body,
      durationMs: 0,
    };
    this.trace.push(entry);

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs);
    let res: Dispatcher.ResponseData | undefined;
    try {
      res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher: this.agent,
        signal: controller.signal,
      });
      const chunks: Buffer[] = [];
      let total = 0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.body.destroy();
        throw new HttpFailure('too-large', `response declares ${declared} bytes, over the ${fmtBytes(maxBytes)} limit`, url.href);
      }
      for await (const chunk of res.body) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) {
          res.body.destroy();
          throw new HttpFailure('too-large', `response body is larger than the ${fmtBytes(maxBytes)} limit; stopped reading`, url.href);
        }
        chunks.push(chunk as Buffer);
      }
      const resHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v !== undefined) resHeaders[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      }
      const buf = decode(Buffer.concat(chunks), resHeaders['content-encoding'], maxBytes, url.href);
      entry.status = res.statusCode;
      entry.responseHeaders = resHeaders;
      entry.responseBody = buf.subarray(0, TRACE_BODY_LIMIT).toString('utf8');
      registerResponseSecrets(buf.length <= 1 << 18 ? buf.toString('utf8') : '', resHeaders.location);
      entry.durationMs = Math.round(performance.now() - started);
      const out: HttpResponse = {
        url: url.href,
        method,
        status: res.statusCode,
        headers: resHeaders,
        body: buf,
        durationMs: entry.durationMs,
        text: () => buf.toString('utf8'),
        header: (name) => resHeaders[name.toLowerCase()],
      };
      return out;
    } catch (err) {
      entry.durationMs = Math.round(performance.now() - started);
      let failure = toFailure(err, url.href, timeoutMs, controller.signal.aborted);
      // http:// to a port on this machine that closed the connection without a word: a TLS port
      // does that to plain HTTP. One handshake tells (never on another host: loopback only).
      if (failure.kind === 'network' && url.protocol === 'http:' && isLoopback(url) && CLOSED_EARLY.test(failure.message) && await speaksTls(url)) {
        failure = new HttpFailure('tls', `${url.host} speaks TLS, not plain HTTP — use https://${url.host}${url.pathname}`, url.href);
      }
      if (failure.kind === 'timeout' && cutByDeadline) failure = new HttpFailure('deadline', 'the run reached its --deadline while waiting for this response', url.href);
      entry.error = failure.message;
      throw failure;
    } finally {
      clearTimeout(timer);
      this.opts.onTrace?.(entry);
    }
  }

  /**
   * A WHATWG-fetch facade over `send`, for openid-client's `customFetch`. `onResponse` sees every
   * raw response first (the token checks keep the token endpoint's answer to judge it themselves).
   */
  fetcher(onResponse?: (res: HttpResponse) => void): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
    return async (input, init) => {
      const url = typeof input === 'string' || input instanceof URL ? input.toString() : input.url;
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => { headers[k] = v; });
      let body: string | undefined;
      if (init?.body instanceof URLSearchParams) body = init.body.toString();
      else if (typeof init?.body === 'string') body = init.body;
      const res = await this.send({ method: init?.method ?? 'GET', url, headers, body });
      onResponse?.(res);
      const nullBody = [101, 204, 205, 304].includes(res.status);
      return new Response(nullBody ? null : new Uint8Array(res.body), { status: res.status, headers: res.headers });
    };
  }

  private readonly pending = new Set<Promise<unknown>>();

  /**
   * Work that need not hold up a result (deleting the run's probe clients): it finishes before
   * `close` does. Its failures are its own business.
   */
  later(work: Promise<unknown>): void {
    const p = work.catch(() => undefined).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async close(): Promise<void> {
    await Promise.all(this.pending);
    await this.agent.destroy().catch(() => undefined);
  }
}

/** Retry-After (RFC 9110 §10.2.3: delay-seconds or an HTTP date) in ms, or undefined. */
function retryAfterMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d{1,9}$/.test(t)) return Number(t) * 1000;
  const at = Date.parse(t);
  return Number.isNaN(at) || !/[a-z]/i.test(t) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Content-Encoding as ChatGPT's HTTP client handles it: gzip, deflate (zlib or raw) and br are
 * decoded, with the same size cap on the decoded body (a compression bomb stops at the cap).
 */
function decode(raw: Buffer, encoding: string | undefined, maxBytes: number, url: string): Buffer {
  const codings = (encoding ?? '').toLowerCase().split(',').map((s) => s.trim()).filter((s) => s && s !== 'identity');
  let body = raw;
  const opts = { maxOutputLength: maxBytes };
  try {
    for (const c of codings.reverse()) {
      if (c === 'gzip' || c === 'x-gzip') body = gunzipSync(body, opts);
      else if (c === 'deflate') {
        try { body = inflateSync(body, opts); } catch (e) { if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw e; body = inflateRawSync(body, opts); }
      } else if (c === 'br') body = brotliDecompressSync(body, opts);
      else throw new HttpFailure('bad-encoding', `the response uses Content-Encoding "${c.slice(0, 40)}", which HTTP clients such as ChatGPT's do not decode`, url);
    }
  } catch (err) {
    if (err instanceof HttpFailure) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw new HttpFailure('too-large', `the decoded response body is larger than the ${fmtBytes(maxBytes)} limit; stopped decoding`, url);
    throw new HttpFailure('bad-encoding', `the response says Content-Encoding "${(encoding ?? '').slice(0, 40)}" but its body does not decode`, url);
  }
  return body;
}

function lower(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

function fmtBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(0)} MiB` : `${Math.round(n / 1024)} KiB`;
}

const CLOSED_EARLY = /^the connection was closed before the response was complete$/;

/** Whether a TLS handshake succeeds on the URL's host and port (any certificate), within 2 s. */
async function speaksTls(url: URL): Promise<boolean> {
  const { connect } = await import('node:tls');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port: Number(url.port || 80), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const done = (v: boolean) => { clearTimeout(timer); socket.destroy(); resolve(v); };
    const timer = setTimeout(() => done(false), 2000);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function toFailure(err: unknown, url: string, timeoutMs: number, aborted: boolean): HttpFailure {
  if (err instanceof HttpFailure) return err;
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || e?.name === 'AbortError') {
    return new HttpFailure('timeout', `no complete response within ${timeoutMs / 1000} s`, url);
  }
  if (code === 'UND_ERR_HEADERS_OVERFLOW') return new HttpFailure('too-large', 'response headers are too large', url);
  if (code === 'EPRIVATE') return new HttpFailure('refused', e?.cause?.message ?? e?.message ?? 'private address refused', url);
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return new HttpFailure('network', 'the connection was closed before the response was complete', url);
  let hostPort = url;
  try {
    const u = new URL(url);
    hostPort = `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  } catch { /* keep the URL */ }
  const host = hostPort.replace(/:\d+$/, '');
  if (code === 'ECONNREFUSED') return new HttpFailure('unreachable', `nothing is listening on ${hostPort} — is the server running?`, url);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return new HttpFailure('unreachable', `${host} does not resolve (${code}) — check the host name and the network`, url);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT' || code === 'ECONNABORTED') return new HttpFailure('unreachable', `${hostPort} cannot be reached (${code}) — check the network, a firewall or a VPN`, url);
  // An https:// URL to a port that answers in plain HTTP: OpenSSL reads "HTTP/1.1 4…" as a
  // record header and reports a wrong version or an impossible length.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST') {
    return new HttpFailure('tls', `${hostPort} speaks plain HTTP, not TLS (${code}) — use http:// for it, or turn TLS on at the server`, url);
  }
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return new HttpFailure('tls', `the TLS connection to ${host} failed: ${code} — its certificate is not trusted (expired, self-signed, or for another name)`, url);
  const what = code ? `${code}` : (e?.message ?? String(err));
  return new HttpFailure('network', `request failed: ${what}`, url);
}

/** Human rendering of one trace entry for --debug, redacted. */
export function formatTraceEntry(e: TraceEntry): string {
  const lines = [`> ${e.method} ${redact(e.url)}`];
  for (const [k, v] of Object.entries(redactHeaders(e.requestHeaders))) lines.push(`> ${k}: ${v}`);
  if (e.requestBody) lines.push(`> ${redact(e.requestBody).slice(0, 2000)}`);
  if (e.error) lines.push(`< error: ${e.error} (${e.durationMs} ms)`);
  else {
    lines.push(`< ${e.status} (${e.durationMs} ms)`);
    for (const [k, v] of Object.entries(redactHeaders(e.responseHeaders ?? {}))) lines.push(`< ${k}: ${v}`);
    if (e.responseBody) lines.push(`< ${redact(e.responseBody).slice(0, 2000)}`);
  }
  return lines.join('\n');
}
