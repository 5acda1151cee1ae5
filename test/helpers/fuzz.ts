/**
 * The doctor under property-based testing (fast-check), over both suites. A toy server that is
 * sound by default answers every endpoint the doctor touches (an MCP server and its
 * authorization server for `apps`; a GPT Action's authorization server and API for `actions`);
 * each case mutates the answers of some endpoint kinds (fields dropped, duplicated, retyped,
 * huge or deeply nested; wrong status codes and content types; truncated, oversized or
 * compressed-garbage bodies; redirects to other origins and loops; slow drips; odd or repeated
 * headers; JWTs with random headers and claims; echoes of the request, of the answer itself or
 * of an earlier credential-bearing answer, wrapped in one to three layers of JSON, HTML,
 * URL/form encoding and Markdown in random order). The client secrets are full of characters
 * that those layers escape, with long random runs between them. The doctor runs in-process,
 * every output is rendered, and the invariants are checked: among them, no spelling and no
 * fragment (`fragments` in src/http/redact.ts) of any secret in any output.
 *
 * Used by test/fuzz.test.ts (a fixed-seed sample in `npm test`) and `npm run fuzz` (a campaign).
 */
import { gzipSync } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import { HttpClient, formatTraceEntry } from '../../src/http/client.js';
import { UrlPolicy } from '../../src/http/policy.js';
import { clearSecrets, gramsOf, registerClientCredentials } from '../../src/http/redact.js';
import { runAppsSuite } from '../../src/doctor/suites/apps.js';
import { runActionsSuite } from '../../src/doctor/suites/actions.js';
import { gptCallbackUrls } from '../../src/gpt-actions/gpt.js';
import type { Report } from '../../src/doctor/types.js';
import { exitCode } from '../../src/doctor/verdict.js';
import { renderHuman, renderJson, renderJunit } from '../../src/ui/render.js';
import { githubAnnotations, renderMarkdown, toHar } from '../../src/doctor/report.js';
import { APPS_CHECKS } from '../../src/checks/apps/index.js';
import { ACTIONS_CHECKS } from '../../src/checks/actions/index.js';
import { startToy, type Buffered, type ToyRequest } from './toy-server.js';
import { reportSchema } from './report-schema.js';

export type Suite = 'apps' | 'actions';
const KINDS = ['resource', 'prm', 'as', 'oidc', 'jwks', 'register', 'authorize', 'token', 'mcp', 'api'] as const;
type Kind = (typeof KINDS)[number];
/** The endpoint kinds each suite's toy answers. */
const SUITE_KINDS: Record<Suite, readonly Kind[]> = {
  apps: ['resource', 'prm', 'as', 'oidc', 'jwks', 'register', 'authorize', 'token', 'mcp'],
  actions: ['authorize', 'token', 'api'],
};

/** Which endpoint a request is for. */
function kindOf(path: string): Kind | undefined {
  if (path.startsWith('/.well-known/oauth-protected-resource')) return 'prm';
  if (path.startsWith('/.well-known/oauth-authorization-server')) return 'as';
  if (path.startsWith('/.well-known/openid-configuration')) return 'oidc';
  if (path === '/jwks') return 'jwks';
  if (path.startsWith('/register')) return 'register';
  if (path === '/authorize') return 'authorize';
  if (path === '/token') return 'token';
  if (path === '/mcp') return 'mcp';
  if (path === '/api/me') return 'api';
  return undefined;
}

type Retype = 'number' | 'null' | 'object' | 'array' | 'bool' | 'huge' | 'deep' | 'relative-url' | 'evil';
type Mutation =
  | { m: 'status'; status: number }
  | { m: 'content-type'; value: string }
  | { m: 'drop'; index: number }
  | { m: 'retype'; index: number; to: Retype }
  | { m: 'duplicate'; index: number }
  | { m: 'truncate'; fraction: number }
  | { m: 'oversize' }
  | { m: 'gzip-garbage' }
  | { m: 'redirect'; to: 'other-origin' | 'loop' | 'private' | 'file' }
  | { m: 'drip'; chunks: number; delayMs: number }
  | { m: 'headers'; variant: 'repeat-content-type' | 'garbage-www-authenticate' | 'huge-header' | 'many-set-cookie' | 'bad-location' }
  | { m: 'jwt'; header: Record<string, unknown>; claims: Record<string, unknown> }
  | { m: 'empty' }
  | Echo;

/**
 * A server that echoes: the request (its line, Authorization header with the Basic credential
 * decoded, and body), this answer itself, or the last credential-bearing answer the doctor
 * received intact (a registration or token response), wrapped in `layers` (innermost first).
 * `member`: the sound JSON answer with the echo in a `debug` member (the flow goes on); `error`:
 * an error page of the outermost layer's type instead (never with this answer in it: the doctor
 * cannot know a secret it only ever saw inside an error page).
 */
export type Layer = 'json' | 'html' | 'url' | 'form' | 'md';
interface Echo { m: 'echo'; layers: Layer[]; what: 'request' | 'response' | 'earlier' | 'all'; as: 'member' | 'error'; status: number }

const htmlEscape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
/** One layer of wrapping, as servers write error pages and debug output. */
const WRAP: Record<Layer, (t: string) => string> = {
  json: (t) => JSON.stringify({ error: 'invalid_request', error_description: t }),
  html: (t) => `<!doctype html><html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1><pre>${htmlEscape(t)}</pre></body></html>`,
  url: (t) => `error=invalid_request&error_description=${encodeURIComponent(t)}`,
  form: (t) => new URLSearchParams({ error: 'invalid_request', error_description: t }).toString(),
  md: (t) => `## Bad request\n\n${t.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&')}\n`,
};
const LAYER_TYPE: Record<Layer, string> = { json: 'application/json', html: 'text/html; charset=utf-8', url: 'application/x-www-form-urlencoded', form: 'application/x-www-form-urlencoded', md: 'text/markdown' };
export const wrapIn = (layers: Layer[], t: string) => layers.reduce((acc, l) => WRAP[l](acc), t);

const echoArb: fc.Arbitrary<Echo> = fc.record({
  m: fc.constant('echo' as const),
  layers: fc.array(fc.constantFrom<Layer>('json', 'html', 'url', 'form', 'md'), { minLength: 1, maxLength: 3 }),
  what: fc.constantFrom('request' as const, 'response' as const, 'earlier' as const, 'all' as const),
  as: fc.constantFrom('member' as const, 'error' as const),
  status: fc.constantFrom(400, 401, 500),
});

const jsonValue = fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ m: fc.constant('status' as const), status: fc.constantFrom(200, 201, 204, 301, 302, 400, 401, 403, 404, 405, 429, 500, 502, 503) }),
  fc.record({ m: fc.constant('content-type' as const), value: fc.constantFrom('text/html', 'text/plain', 'application/octet-stream', '', 'application/json; charset=utf-16', 'application/jwk-set+json') }),
  fc.record({ m: fc.constant('drop' as const), index: fc.nat(30) }),
  fc.record({ m: fc.constant('retype' as const), index: fc.nat(30), to: fc.constantFrom<Retype>('number', 'null', 'object', 'array', 'bool', 'huge', 'deep', 'relative-url', 'evil') }),
  fc.record({ m: fc.constant('duplicate' as const), index: fc.nat(30) }),
  fc.record({ m: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 0.99, noNaN: true }) }),
  fc.constant({ m: 'oversize' as const }),
  fc.constant({ m: 'gzip-garbage' as const }),
  fc.record({ m: fc.constant('redirect' as const), to: fc.constantFrom('other-origin' as const, 'loop' as const, 'private' as const, 'file' as const) }),
  fc.record({ m: fc.constant('drip' as const), chunks: fc.integer({ min: 2, max: 5 }), delayMs: fc.integer({ min: 5, max: 40 }) }),
  fc.record({ m: fc.constant('headers' as const), variant: fc.constantFrom('repeat-content-type' as const, 'garbage-www-authenticate' as const, 'huge-header' as const, 'many-set-cookie' as const, 'bad-location' as const) }),
  fc.record({ m: fc.constant('jwt' as const), header: fc.dictionary(fc.constantFrom('alg', 'kid', 'typ', 'jku', 'x5u', 'crit', 'zip'), jsonValue, { maxKeys: 4 }), claims: fc.dictionary(fc.constantFrom('iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'scope', 'client_id'), jsonValue, { maxKeys: 6 }) }),
  fc.constant({ m: 'empty' as const }),
  { arbitrary: echoArb, weight: 3 },
);

/** A case: for some endpoint kinds, a mutation of every answer of that kind. */
export type Plan = Partial<Record<Kind, Mutation>>;
const planArb = (suite: Suite): fc.Arbitrary<Plan> =>
  fc.dictionary(fc.constantFrom(...SUITE_KINDS[suite]), mutationArb, { minKeys: 1, maxKeys: suite === 'apps' ? 3 : 2 }) as fc.Arbitrary<Plan>;

/**
 * A client secret as hostile to escaping as a secret can be: every character JSON, HTML/XML,
 * URLs, forms, Markdown and workflow commands escape, between random runs of 10 letters and
 * digits (the fragments redaction must find in any nesting).
 */
function hostileSecret(): string {
  const run = () => { let r = ''; while (!/[0-9]/.test(r) || !/[A-Za-z]/.test(r)) r = randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 10); return r; };
  return `fz"${run()}\\${run()}&c<d>e'${run()}%2F${run()}+h~i*j_k|${run()}\`[${run()}]`;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function retyped(to: Retype): unknown {
  switch (to) {
    case 'number': return 1;
    case 'null': return null;
    case 'object': return { nested: { a: 1 } };
    case 'array': return [1, { x: 2 }, null];
    case 'bool': return true;
    case 'huge': return 'x'.repeat(300_000);
    case 'deep': { let v: unknown = 'bottom'; for (let i = 0; i < 300; i++) v = [v]; return v; }
    case 'relative-url': return '/relative/path';
    case 'evil': return '\u001b[2J\u001b]8;;https://attacker.example\u0007click\u001b]8;;\u0007 [x](https://evil.example) <img src=x> `rm -rf ~` $(id)';
  }
}

/** What a case's server remembers between answers: the last credential-bearing answer the doctor got intact. */
interface Memory { earlier?: string }

/** What an echoing server quotes of a request. */
function requestText(req: ToyRequest): string {
  const basic = /^Basic\s+(\S+)$/i.exec(req.authorization ?? '')?.[1];
  return `${req.method} ${req.path}${req.query}\nauthorization: ${req.authorization ?? ''}${basic ? ` (${Buffer.from(basic, 'base64').toString()})` : ''}\n\n${req.body}`;
}

/** Write `sound` to `res` as the mutation says. */
async function mutate(m: Mutation | undefined, sound: Buffered, res: ServerResponse, origin: string, req: ToyRequest, memory: Memory): Promise<void> {
  const headers = { ...sound.headers };
  delete headers['content-length'];
  let status = sound.status;
  let body: Buffer | string = sound.body;
  const jsonBody = (): Record<string, unknown> | undefined => {
    try { const v = JSON.parse(sound.body.toString()); return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined; } catch { return undefined; }
  };
  const credentialBearing = ['/register', '/token'].includes(req.path) && status < 300 && jsonBody() !== undefined;
  if (!m) {
    if (credentialBearing) memory.earlier = sound.body.toString();
    res.writeHead(status, headers); res.end(body); return;
  }
  switch (m.m) {
    case 'echo': {
      const j = jsonBody();
      const member = m.as === 'member' && j !== undefined;
      const parts = [
        m.what === 'request' || m.what === 'all' ? requestText(req) : '',
        member && (m.what === 'response' || m.what === 'all') ? sound.body.toString() : '',
        m.what === 'earlier' || m.what === 'all' ? memory.earlier ?? '' : '',
      ].filter(Boolean);
      const echoed = wrapIn(m.layers, parts.join('\n---\n') || requestText(req));
      if (member) {
        body = JSON.stringify({ ...j, debug: echoed });
        if (credentialBearing) memory.earlier = sound.body.toString();
      } else if (m.as === 'member') {
        body = echoed; // not JSON (a redirect, an event stream): the echo is the body, status and headers kept
      } else {
        status = m.status;
        headers['content-type'] = LAYER_TYPE[m.layers[m.layers.length - 1]!];
        delete headers.location;
        body = echoed;
      }
      break;
    }
    case 'status': status = m.status; break;
    case 'content-type': if (m.value) headers['content-type'] = m.value; else delete headers['content-type']; break;
    case 'drop': case 'retype': case 'duplicate': {
      const j = jsonBody();
      const keys = j ? Object.keys(j) : [];
      if (!j || !keys.length) break;
      const k = keys[m.index % keys.length]!;
      if (m.m === 'drop') delete j[k];
      if (m.m === 'retype') j[k] = retyped(m.to);
      body = JSON.stringify(j);
      // A duplicated member: the same key again with another value (JSON.parse keeps the last).
      if (m.m === 'duplicate') body = `${body.slice(0, -1)}${keys.length ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(retyped('evil'))}}`;
      break;
    }
    case 'truncate': body = sound.body.subarray(0, Math.floor(sound.body.length * m.fraction)); break;
    case 'oversize': body = `{"padding":"${'a'.repeat(2 * 1024 * 1024)}"}`; break;
    case 'gzip-garbage': headers['content-encoding'] = 'gzip'; body = Buffer.concat([gzipSync(Buffer.from('{"a":')).subarray(0, 12), Buffer.from('garbage\u0000\u00ff')]); break;
    case 'redirect':
      status = 302;
      headers.location = m.to === 'other-origin' ? 'http://fuzz.example.invalid/elsewhere'
        : m.to === 'loop' ? `${origin}/.well-known/oauth-protected-resource/mcp`
          : m.to === 'private' ? 'http://169.254.169.254/latest/meta-data/' : 'file:///etc/passwd';
      body = '';
      break;
    case 'drip': {
      res.writeHead(status, headers);
      const buf = Buffer.from(sound.body);
      const size = Math.ceil(buf.length / m.chunks) || 1;
      for (let i = 0; i < buf.length; i += size) {
        if (res.destroyed) return;
        res.write(buf.subarray(i, i + size));
        await new Promise((r) => setTimeout(r, m.delayMs));
      }
      res.end();
      return;
    }
    case 'headers':
      if (m.variant === 'huge-header') headers['x-padding'] = 'p'.repeat(60_000);
      if (m.variant === 'garbage-www-authenticate') headers['www-authenticate'] = 'Bearer resource_metadata="\u0000javascript:alert(1)", realm=, Basic, , =,error="';
      if (m.variant === 'bad-location') headers.location = 'http://[::1:bad';
      if (m.variant === 'many-set-cookie') {
        res.setHeader('set-cookie', Array.from({ length: 200 }, (_, i) => `c${i}=${'v'.repeat(50)}; Path=/`));
      }
      if (m.variant === 'repeat-content-type') {
        res.setHeader('content-type', ['application/json', 'text/html']);
        delete headers['content-type'];
      }
      break;
    case 'jwt': {
      const j = jsonBody();
      if (j && typeof j.access_token === 'string') {
        j.access_token = `${b64url(m.header)}.${b64url(m.claims)}.${Buffer.from('sig').toString('base64url')}`;
        body = JSON.stringify(j);
      }
      break;
    }
    case 'empty': body = ''; break;
  }
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.statusCode = status;
  res.end(body);
}

export interface CaseResult { violations: string[]; ms: number; verdict?: { chatgpt: string; security: string } }

const ajv = new Ajv({ allErrors: true, strict: false });
const validateReport = ajv.compile(reportSchema);
const IDS: Record<Suite, Set<string>> = { apps: new Set(APPS_CHECKS.map((c) => c.id)), actions: new Set(ACTIONS_CHECKS.map((c) => c.id)) };
const DEADLINE_MS = 6000;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f\u0080-\u009f]/;
const STACK = /^\s+at .+[:(]\d+:\d+\)?$/m;

/** Every spelling of a value the outputs could carry. */
function spellings(v: string): string[] {
  const json = (s: string) => JSON.stringify(s).slice(1, -1);
  const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return [...new Set([v, encodeURIComponent(v), json(v), json(json(v)), html(v), html(v).replace(/[\\`*_{}[\]()#+!|~]/g, '\\$&')])];
}

const GPT_ID = 'g-AbC123xyz';

/** Run the doctor once against a toy server answering as `plan` says; the invariants it broke. */
export async function runCase(plan: Plan, suite: Suite = 'apps'): Promise<CaseResult> {
  clearSecrets();
  const violations: string[] = [];
  const unhandled = (e: unknown) => violations.push(`unhandled rejection: ${String((e as Error)?.stack ?? e).slice(0, 300)}`);
  process.on('unhandledRejection', unhandled);
  let origin = '';
  const memory: Memory = {};
  // The GPT Action's client secret (the user's, as the CLI registers it) and every dynamically
  // registered client's: as hostile to escaping as a secret can be.
  const clientSecret = hostileSecret();
  const cb = gptCallbackUrls(GPT_ID);
  const toy = await startToy({
    respond: (req, sound, res) => mutate(plan[kindOf(req.path) ?? 'resource'], sound, res, origin, req, memory),
    dcrSecret: hostileSecret,
    ...(suite === 'actions' ? { client: { id: 'gpt', secret: clientSecret, redirectUris: [cb.chatgpt, cb.openai] } } : {}),
  });
  origin = toy.origin;
  const started = Date.now();
  try {
    // --debug prints each exchange as it ends, before the check that made it has read it.
    const streamed: string[] = [];
    const http = new HttpClient({ policy: new UrlPolicy(toy.mcpUrl, {}), timeoutMs: 1000, deadlineAt: started + DEADLINE_MS, maxBytes: 1 << 20, userAgent: 'gpt-oauth-fuzz', onTrace: (e) => streamed.push(formatTraceEntry(e)) });
    const said: string[] = [];
    let report: Report;
    try {
      if (suite === 'apps') report = await runAppsSuite({ mcpUrl: toy.mcpUrl, http, login: 'auto', say: (l) => said.push(l) });
      else {
        registerClientCredentials('gpt', clientSecret); // as `doctor --target actions` does with GPT_OAUTH_CLIENT_SECRET
        report = await runActionsSuite({
          http, login: 'auto', authUrl: `${origin}/authorize`, tokenUrl: `${origin}/token`, clientId: 'gpt', clientSecret,
          scope: 'mcp:read', gptId: GPT_ID, apiUrl: `${origin}/api/me`, say: (l) => said.push(l),
        });
      }
    } catch (e) {
      violations.push(`the run threw: ${String((e as Error)?.stack ?? e).slice(0, 400)}`);
      return { violations, ms: Date.now() - started };
    } finally {
      await http.close().catch((e: Error) => violations.push(`close threw: ${e.message}`));
    }
    const ms = Date.now() - started;
    if (ms > DEADLINE_MS + 3000) violations.push(`took ${ms} ms, past the ${DEADLINE_MS} ms deadline`);
    const code = exitCode(report, 'all');
    if (![0, 1, 3].includes(code)) violations.push(`exit code ${code}`);
    for (const c of report.checks) {
      if (!IDS[suite].has(c.id)) violations.push(`a result with an unknown id ${c.id}`);
      if (/the doctor itself failed/.test(c.detail)) violations.push(`${c.id} ended in the doctor's own exception: ${c.detail.slice(0, 300)}`);
    }
    // Every exchange went to the server under test.
    for (const e of http.trace) {
      let o = '';
      try { o = new URL(e.url).origin; } catch { /* not a URL: nothing was fetched */ }
      if (o && o !== toy.origin && !e.error) violations.push(`a request reached ${o}`);
    }
    const outputs: Record<string, string> = {
      human: renderHuman(report, false, true),
      json: renderJson(report),
      junit: renderJunit(report),
      markdown: renderMarkdown(report, http.trace),
      annotations: githubAnnotations(report),
      har: JSON.stringify(toHar(http.trace)),
      debug: streamed.join('\n'),
      progress: said.join('\n'),
    };
    try {
      const parsed = JSON.parse(outputs.json!);
      if (!validateReport(parsed)) violations.push(`--json does not validate: ${ajv.errorsText(validateReport.errors).slice(0, 300)}`);
    } catch (e) { violations.push(`--json does not parse: ${(e as Error).message}`); }
    try { JSON.parse(outputs.har!); } catch (e) { violations.push(`the HAR does not parse: ${(e as Error).message}`); }
    for (const [name, text] of Object.entries(outputs)) {
      if (name !== 'debug' && name !== 'har' && name !== 'json' && CONTROL.test(text)) violations.push(`${name} carries a raw control character`);
      if (STACK.test(text)) violations.push(`${name} carries a stack trace`);
    }
    const secrets = [...toy.secrets, ...(suite === 'actions' ? [clientSecret] : [])].filter((v) => v.length >= 12 && !v.startsWith('gpt-oauth-invalid-'));
    // 8 characters of a fragment (a random run of letters and digits) of any secret, anywhere. Of
    // a JWT only its signature: its header and claims are base64 of JSON that another token (the
    // doctor's forged ones, the next one issued) shares at the same place, and not secret alone.
    const secretPart = (v: string) => (/^eyJ[\w-]*\.[\w-]*\.[\w-]+$/.test(v) ? v.split('.')[2]! : v);
    const grams = new Map(secrets.flatMap((v) => gramsOf(secretPart(v)).map((g) => [g, v] as const)));
    for (const [name, text] of Object.entries(outputs)) {
      for (const v of secrets) {
        if (spellings(v).some((x) => text.includes(x))) violations.push(`${name} shows a secret the server issued or received (${v.slice(0, 8)}…)`);
      }
      // A match of hex digits alone counts from 12 of them (48 bits; 8 are 32, found by chance in
      // any other hex id): the same rule as redaction's (HEX_MIN in src/http/redact.ts).
      for (const run of text.match(/[A-Za-z0-9]{8,}/g) ?? []) {
        for (let i = 0; i + 8 <= run.length; i++) {
          const v = grams.get(run.slice(i, i + 8));
          if (!v) continue;
          let end = i + 8;
          while (end < run.length && grams.has(run.slice(end - 7, end + 1))) end++;
          const shown = run.slice(i, end);
          if (shown.length < 12 && /^(?:[0-9a-f]+|[0-9A-F]+)$/.test(shown)) { i = end - 8; continue; }
          if (process.env.FUZZ_DUMP) { const at = text.indexOf(run); console.log(name, JSON.stringify(text.slice(Math.max(0, at - 1200), at + 300))); }
          violations.push(`${name} shows ${shown.length} characters of a secret (${run.slice(i, i + 3)}… of ${v.slice(0, 8)}…)`);
          break;
        }
      }
    }
    return { violations, ms, verdict: report.verdict };
  } finally {
    process.off('unhandledRejection', unhandled);
    await toy.close();
  }
}

/** The property: a run of `suite` against any mutation keeps every invariant. */
export function fuzzProperty(suite: Suite = 'apps'): fc.IAsyncPropertyWithHooks<[Plan]> {
  let cases = 0;
  const every = Number(process.env.FUZZ_PROGRESS ?? 0);
  return fc.asyncProperty(planArb(suite), async (plan) => {
    if (every && ++cases % every === 0) process.stderr.write(`fuzz: ${suite}: ${cases} cases run\n`);
    const { violations } = await runCase(plan, suite);
    if (violations.length) throw new Error(`invariants broken:\n- ${[...new Set(violations)].join('\n- ')}`);
  });
}
