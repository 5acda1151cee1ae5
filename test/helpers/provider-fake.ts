/**
 * A provider API fake driven by the operations extracted from the provider's OpenAPI document
 * (test/fixtures/provider-specs, made by scripts/extract-provider-specs.mjs). It
 *  - routes only the documented method + path templates (anything else: 404 in the provider's shape),
 *  - rejects request bodies the real API would reject (unknown fields where the schema forbids
 *    them, wrong types, missing required fields), with the provider's error shape,
 *  - checks its own responses against the documented response schema (violations fail tests),
 *  - can inject 429 with rate-limit headers, 5xx, slow responses, and a crash after the change
 *    was committed but before the response was sent.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

export interface SpecOp {
  method: string;
  path: string;
  operationId?: string;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody: { required: boolean; schema: unknown } | null;
  responses: Record<string, unknown>;
}

// Read and compiled once per test file (Auth0's is 0.7 MB with hundreds of operations: about a
// second per fake otherwise); the fakes never change a fixture.
const fixtures = new Map<string, { operations: SpecOp[] }>();
export function loadFixture(name: string): { operations: SpecOp[] } {
  let f = fixtures.get(name);
  if (!f) fixtures.set(name, f = JSON.parse(readFileSync(new URL(`../fixtures/provider-specs/${name}.json`, import.meta.url), 'utf8')) as { operations: SpecOp[] });
  return f;
}

interface FakeRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: any;
  headers: IncomingHttpHeaders;
}
interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
type Handler = (req: FakeRequest) => FakeResponse;

export interface FakeConfig {
  fixtures: { fixture: { operations: SpecOp[] }; prefix: string }[];
  /** false: 401 in the provider's shape. */
  authorize: (headers: IncomingHttpHeaders, path: string) => boolean;
  error: (status: number, code: string, message: string) => unknown;
  handlers: Record<string, Handler>;
  /** Routes outside the spec (e.g. Auth0's /oauth/token); return true when handled. */
  extra?: (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => boolean;
}

export interface Call {
  key: string;
  method: string;
  path: string;
  body: unknown;
  status?: number;
}

interface Injection { status: number; headers?: Record<string, string>; body?: unknown; times: number }

/** OpenAPI 3.0 `nullable` → JSON Schema null type; drop keywords ajv does not know. */
function toJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!s || typeof s !== 'object') return s;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s as Record<string, unknown>)) {
    if (['nullable', 'discriminator', 'xml', 'externalDocs', 'example', 'deprecated', 'readOnly', 'writeOnly'].includes(k) || k.startsWith('x-')) continue;
    o[k] = toJsonSchema(v);
  }
  if ((s as { nullable?: boolean }).nullable) {
    if (typeof o.type === 'string') o.type = [o.type, 'null'];
    if (Array.isArray(o.enum)) o.enum = [...o.enum, null];
  }
  return o;
}

interface Route { key: string; method: string; re: RegExp; names: string[]; op: SpecOp; req?: ValidateFunction; res: Record<string, ValidateFunction | undefined> }

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false, allowUnionTypes: true });
const compiled = new WeakMap<{ operations: SpecOp[] }, Map<string, Route[]>>();

/** The routes of a fixture under a path prefix, with their validators (compiled once, then shared). */
function routesOf(fixture: { operations: SpecOp[] }, prefix: string): Route[] {
  const byPrefix = compiled.get(fixture) ?? new Map<string, Route[]>();
  compiled.set(fixture, byPrefix);
  const cached = byPrefix.get(prefix);
  if (cached) return cached;
  const routes: Route[] = [];
  for (const op of fixture.operations) {
    const names: string[] = [];
    const re = new RegExp(`^${prefix}${op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, n: string) => { names.push(n); return '([^/]+)'; })}$`);
    const key = `${op.method} ${op.path}`;
    const res: Record<string, ValidateFunction | undefined> = {};
    for (const [code, schema] of Object.entries(op.responses)) res[code] = schema ? ajv.compile(toJsonSchema(schema) as object) : undefined;
    routes.push({ key, method: op.method, re, names, op, req: op.requestBody?.schema ? ajv.compile(toJsonSchema(op.requestBody.schema) as object) : undefined, res });
  }
  byPrefix.set(prefix, routes);
  return routes;
}

export class ProviderFake {
  origin = '';
  readonly calls: Call[] = [];
  readonly violations: string[] = [];
  private readonly injections = new Map<string, Injection[]>();
  private readonly delays = new Map<string, number>();
  private readonly crashes = new Set<string>();
  private readonly routes: Route[] = [];
  private server = createServer((req, res) => this.handle(req, res));

  constructor(private readonly cfg: FakeConfig) {
    for (const { fixture, prefix } of cfg.fixtures) this.routes.push(...routesOf(fixture, prefix));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  /** The next `times` calls of `key` ("METHOD /spec/path") answer this instead. */
  inject(key: string, r: { status: number; headers?: Record<string, string>; body?: unknown }, times = 1): void {
    this.injections.set(key, [...(this.injections.get(key) ?? []), { ...r, times }]);
  }
  delay(key: string, ms: number): void { this.delays.set(key, ms); }
  /** Commit the next call of `key`, then drop the connection without answering. */
  crashAfter(key: string): void { this.crashes.add(key); }
  count(key: string): number { return this.calls.filter((c) => c.key === key).length; }

  close(): Promise<void> {
    return new Promise((r) => { this.server.close(() => r()); this.server.closeAllConnections(); });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const url = new URL(req.url ?? '/', this.origin);
      if (this.cfg.extra?.(req, res, url, text)) return;
      const send = (r: FakeResponse, call?: Call) => {
        if (call) call.status = r.status;
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(r.body === undefined ? '' : JSON.stringify(r.body));
      };
      let route;
      let m: RegExpExecArray | null = null;
      for (const r of this.routes) {
        if (r.method !== req.method) continue;
        m = r.re.exec(url.pathname);
        if (m) { route = r; break; }
      }
      if (!route || !m) return send({ status: 404, body: this.cfg.error(404, 'not_found', `${req.method} ${url.pathname} is not an operation of this API`) });
      const call: Call = { key: route.key, method: req.method!, path: url.pathname, body: undefined };
      this.calls.push(call);
      if (!this.cfg.authorize(req.headers, url.pathname)) return send({ status: 401, body: this.cfg.error(401, 'unauthorized', 'invalid credentials') }, call);
      let body: unknown;
      if (text) {
        try { body = JSON.parse(text); } catch { return send({ status: 400, body: this.cfg.error(400, 'invalid_body', 'body is not JSON') }, call); }
      }
      call.body = body;
      if (route.op.requestBody?.required && body === undefined) return send({ status: 400, body: this.cfg.error(400, 'invalid_body', 'a request body is required') }, call);
      if (body !== undefined && route.req && !route.req(body)) {
        const e = route.req.errors?.[0];
        const what = e?.keyword === 'additionalProperties' ? `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"` : `${e?.instancePath || 'body'} ${e?.message}`;
        return send({ status: 400, body: this.cfg.error(400, 'invalid_body', `Payload validation error: ${what}`) }, call);
      }
      const inj = this.injections.get(route.key)?.[0];
      if (inj) {
        if (--inj.times <= 0) this.injections.get(route.key)!.shift();
        return send({ status: inj.status, headers: inj.headers, body: inj.body ?? this.cfg.error(inj.status, inj.status === 429 ? 'too_many_requests' : 'server_error', 'injected') }, call);
      }
      const handler = this.cfg.handlers[route.key];
      if (!handler) return send({ status: 501, body: this.cfg.error(501, 'not_implemented', `fake has no handler for ${route.key}`) }, call);
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m![i + 1]!)]));
      const out = handler({ params, query: url.searchParams, body, headers: req.headers });
      // The fake must answer as the documented API does.
      const validate = route.res[String(out.status)];
      if (out.status < 300 && !(String(out.status) in route.op.responses)) this.violations.push(`${route.key}: status ${out.status} is not documented`);
      if (validate && out.body !== undefined && !validate(out.body)) this.violations.push(`${route.key} ${out.status}: ${JSON.stringify(validate.errors?.slice(0, 2))}`);
      const finish = () => {
        if (this.crashes.delete(route!.key)) { call.status = 0; res.socket?.destroy(); return; }
        send(out, call);
      };
      const d = this.delays.get(route.key);
      if (d) setTimeout(finish, d); else finish();
    });
  }
}
