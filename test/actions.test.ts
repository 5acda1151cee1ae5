/** The GPT Actions doctor (`--target actions`) against the sandbox and broken GPT-Action servers. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runActionsSuite } from '../src/doctor/suites/actions.js';
import { HttpClient } from '../src/http/client.js';
import { startSandbox } from '../src/sandbox/server.js';
import { parseGptId, gptCallbackUrls } from '../src/gpt-actions/gpt.js';
import { oauthFromOpenApi } from '../src/gpt-actions/openapi.js';
import { sameRootDomain } from '../src/checks/actions/same-root-domain.js';
import type { Report, Status } from '../src/doctor/types.js';
import { runCli } from './helpers/cli.js';
import { startToy, type Toy, type ToyFlags } from './helpers/toy-server.js';

const GPT = 'g-AbC123xyz';
const CB = gptCallbackUrls(GPT);
const SECRET = 'toy_client_secret_0123456789';
const http = () => new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });
let toy: Toy | undefined;
afterEach(async () => { await toy?.close(); toy = undefined; });

async function doctorToy(flags: ToyFlags, over: { apiHost?: string; scope?: string } = {}): Promise<Report> {
  toy = await startToy({ ...flags, client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai], ...flags.client } });
  const h = http();
  try {
    const api = new URL('/api/me', toy.origin);
    if (over.apiHost) api.hostname = over.apiHost;
    return await runActionsSuite({
      http: h, login: 'auto', authUrl: `${toy.origin}/authorize`, tokenUrl: `${toy.origin}/token`,
      clientId: 'gpt', clientSecret: SECRET, scope: over.scope ?? 'mcp:read', gptId: GPT, apiUrl: api.href,
    });
  } finally {
    await h.close();
  }
}
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

describe('actions suite against the sandbox (confidential client with both GPT callbacks)', () => {
  it('passes every check and picks the exchange method', async () => {
    const sb = await startSandbox();
    const h = http();
    const g = sb.gpt;
    const r = await runActionsSuite({ http: h, login: 'auto', authUrl: g.authUrl, tokenUrl: g.tokenUrl, clientId: g.clientId, clientSecret: g.clientSecret, scope: g.scope, gptId: g.gptId, apiUrl: g.apiUrl });
    await Promise.all([h.close(), sb.close()]);
    expect(r.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(r.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['actions.callback-urls', 'actions.no-pkce', 'actions.state', 'actions.token-exchange-method', 'actions.token-response', 'actions.refresh', 'actions.same-root-domain', 'actions.api-call', 'actions.empty-scope']));
    expect(r.gptEditor?.tokenExchangeMethod).toBe('Default (POST request)');
    expect(r.verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
  });
});

describe('the toy GPT-Action server with no flags is correct', () => {
  it('passes everything', async () => {
    const r = await doctorToy({});
    expect(r.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
  });
});

const cases: { name: string; flags: ToyFlags; id: string; status?: Status; detail?: RegExp; fix?: RegExp; api?: string }[] = [
  { name: 'PKCE required', flags: { pkceRequired: true }, id: 'actions.no-pkce', detail: /without code_challenge was refused/, fix: /do not require code_challenge/ },
  { name: 'only one callback form registered', flags: { client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt] } }, id: 'actions.callback-urls', detail: /chat\.openai\.com.*was refused.*other ChatGPT host/, fix: /register both callback URLs/ },
  { name: 'state truncated', flags: { stateMode: 'truncate' }, id: 'actions.state', detail: /255 of \d+ characters/, fix: /VARCHAR\(255\)/ },
  // Same length, a character rewritten: no column to widen, so the fix does not ask for one.
  { name: 'state rewritten', flags: { stateMode: 'rewrite' }, id: 'actions.state', detail: /different characters/, fix: /^Return state byte-for-byte: do not decode, re-encode, trim or replace any of its characters\.$/ },
  { name: 'secret accepted only in the Basic header', flags: { client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai], auth: 'basic' } }, id: 'actions.token-exchange-method', status: 'pass', detail: /Default \(POST request\): refused \(401 invalid_client.*select Token Exchange Method "Basic authorization header"/ },
  { name: 'secret accepted only in the body', flags: { client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai], auth: 'post' } }, id: 'actions.token-exchange-method', status: 'pass', detail: /Basic authorization header: refused \(401.*select Token Exchange Method "Default \(POST request\)"/ },
  { name: 'form-encoded token response', flags: { tokenResponseFormat: 'form' }, id: 'actions.token-response', detail: /form-encoded/, fix: /application\/json/ },
  // The fix names the field that is wrong, not the whole response.
  { name: 'string expires_in', flags: { expiresIn: 'string' }, id: 'actions.token-response', detail: /expires_in is a string/, fix: /^Send expires_in as a number of seconds \("expires_in": 3600, not "3600"\) \(RFC 6749 §5\.1\)\.$/ },
  { name: 'refresh refused', flags: { refresh: 'refuse' }, id: 'actions.refresh', detail: /refused: 400 invalid_grant/ },
  { name: 'no refresh token', flags: { refresh: 'none' }, id: 'actions.refresh', status: 'warn', detail: /no refresh token/ },
  { name: 'API accepts any token', flags: { api: 'accepts-any' }, id: 'actions.api-call', detail: /garbage token was ACCEPTED/ },
  { name: 'auth and API on different registrable domains', flags: {}, api: 'localhost', id: 'actions.same-root-domain', detail: /API is on localhost but Authorization URL is on 127\.0\.0\.1/, fix: /Serve the authorization and token endpoints under localhost/ },
];

describe('broken GPT-Action servers: each failure mode under its own id, with advice', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await doctorToy(c.flags, { apiHost: c.api });
      const x = check(r, c.id);
      expect(x.status, `${x.id}: ${x.detail}`).toBe(c.status ?? 'fail');
      if (c.detail) expect(x.detail).toMatch(c.detail);
      if (c.fix) expect(x.fix).toMatch(c.fix);
    });
  }

  it('when neither exchange method works, ChatGPT\'s own error text is quoted', async () => {
    toy = await startToy({ client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai] }, codeExchange: 'invalid-grant' });
    const h = http();
    const r = await runActionsSuite({ http: h, login: 'auto', authUrl: `${toy.origin}/authorize`, tokenUrl: `${toy.origin}/token`, clientId: 'gpt', clientSecret: SECRET, scope: 'mcp:read', gptId: GPT, apiUrl: `${toy.origin}/api/me` });
    await h.close();
    const x = check(r, 'actions.token-exchange-method');
    expect(x.status).toBe('fail');
    expect(x.impact).toBe('chatgpt');
    expect(x.chatgpt).toMatch(/^Missing access token, received 400 from/);
  });

  it('a wrong client secret given by the tester is incomplete, not a server fault', async () => {
    toy = await startToy({ client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai] } });
    const h = http();
    const r = await runActionsSuite({ http: h, login: 'auto', authUrl: `${toy.origin}/authorize`, tokenUrl: `${toy.origin}/token`, clientId: 'gpt', clientSecret: 'wrong-secret-value', scope: 'mcp:read', gptId: GPT, apiUrl: `${toy.origin}/api/me` });
    await h.close();
    const x = check(r, 'actions.token-exchange-method');
    expect(x).toMatchObject({ status: 'skip', incomplete: true, fix: expect.stringMatching(/client secret/) });
    expect(x.chatgpt).toBeUndefined();
    // actions.api-call, which waits on it, holds the suite's security test (the garbage token):
    // not run, the security verdict cannot be "No security problems found".
    expect(check(r, 'actions.api-call')).toMatchObject({ status: 'skip', impact: 'chatgpt', alsoJudges: ['security'] });
    expect(r.verdict).toEqual({ chatgpt: 'incomplete', security: 'incomplete' });
  });
});

describe('same-root-domain rule', () => {
  const run = (authUrl: string, apiUrl: string) => sameRootDomain.run({ opts: { authUrl, tokenUrl: authUrl.replace('/authorize', '/token'), apiUrl } } as never) as { status: Status; detail: string };
  it('compares registrable domains with the public suffix list', () => {
    expect(run('https://auth.example.co.uk/authorize', 'https://api.example.co.uk/v1').status).toBe('pass');
    expect(run('https://example.auth0.com/authorize', 'https://api.example.com/v1').status).toBe('fail');
    // Private suffixes count: two apps on vercel.app are different owners.
    expect(run('https://auth-app.vercel.app/authorize', 'https://api-app.vercel.app/v1').status).toBe('fail');
  });
  it('exempts Google, Microsoft and Adobe OAuth hosts', () => {
    expect(run('https://accounts.google.com/o/oauth2/v2/auth', 'https://api.example.com').status).toBe('pass');
    expect(run('https://login.microsoftonline.com/common/oauth2/v2.0/authorize', 'https://api.example.com').status).toBe('pass');
    expect(run('https://ims-na1.adobelogin.com/ims/authorize/v2', 'https://api.example.com').detail).toMatch(/exempt/);
  });
});

describe('GPT ids', () => {
  it('accepts ids, ids with a slug and GPT URLs; returns the id used in callbacks', () => {
    expect(parseGptId('g-AbC123xyz')).toBe('g-AbC123xyz');
    expect(parseGptId('g-AbC123xyz-my-todo-helper')).toBe('g-AbC123xyz');
    expect(parseGptId('https://chatgpt.com/g/g-AbC123xyz-my-todo-helper')).toBe('g-AbC123xyz');
    expect(gptCallbackUrls('g-AbC123xyz')).toEqual({ chatgpt: 'https://chatgpt.com/aip/g-AbC123xyz/oauth/callback', openai: 'https://chat.openai.com/aip/g-AbC123xyz/oauth/callback' });
  });
  it('rejects what is not a GPT id', () => {
    for (const bad of ['AbC123xyz', 'g-', 'g-ab', 'plugin-123456', 'g-AbC123xyz/evil', 'g-AbC 123xyz']) expect(() => parseGptId(bad), bad).toThrow(/not a GPT id/);
    expect(() => parseGptId(undefined)).toThrow(/missing --gpt-id/);
  });
  it('a missing or wrong GPT id is a usage error (exit 2) from the CLI', async () => {
    const base = ['doctor', '--target', 'actions', '--auth-url', 'https://a.example/authorize', '--token-url', 'https://a.example/token', '--client-id', 'x'];
    const missing = await runCli(base, { env: { GPT_OAUTH_CLIENT_SECRET: 's' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing --gpt-id/);
    const wrong = await runCli([...base, '--gpt-id', 'my-gpt'], { env: { GPT_OAUTH_CLIENT_SECRET: 's' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/"my-gpt" is not a GPT id/);
  });
});

describe('--openapi', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/openapi/${name}`, import.meta.url));

  it('reads the oauth2 flow, scopes and a protected GET without path parameters', async () => {
    const { parse } = await import('yaml');
    const doc = parse(readFileSync(fixture('todo-api.yaml'), 'utf8').replaceAll('__ORIGIN__', 'https://todo.example.com'));
    expect(oauthFromOpenApi(doc)).toEqual({
      authUrl: 'https://todo.example.com/authorize',
      tokenUrl: 'https://todo.example.com/token',
      scopes: ['mcp:read', 'mcp:write'],
      serverUrl: 'https://todo.example.com/api',
      apiUrl: 'https://todo.example.com/api/me',
      schemeName: 'oauth',
    });
  });

  it('runs the whole suite from the document alone', async () => {
    toy = await startToy({ client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai] } });
    const file = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-openapi-')), 'openapi.yaml');
    writeFileSync(file, readFileSync(fixture('todo-api.yaml'), 'utf8').replaceAll('__ORIGIN__', toy.origin).replace('url: ' + toy.origin + '/api', `url: ${toy.origin}/api`));
    const r = await runCli(['doctor', '--target', 'actions', '--openapi', file, '--client-id', 'gpt', '--gpt-id', GPT, '--login', 'auto', '--json'], { env: { GPT_OAUTH_CLIENT_SECRET: SECRET } });
    const report = JSON.parse(r.stdout);
    expect(report.gptEditor).toMatchObject({ authorizationUrl: `${toy.origin}/authorize`, tokenUrl: `${toy.origin}/token`, scope: 'mcp:read mcp:write', tokenExchangeMethod: 'Default (POST request)', callbackUrls: [CB.chatgpt, CB.openai] });
    expect(report.checks.find((c: { id: string }) => c.id === 'actions.api-call').status).toBe('pass');
    expect(r.code).toBe(0);
  });

  it('a document without an oauth2 scheme is a clear usage error', async () => {
    const r = await runCli(['doctor', '--target', 'actions', '--openapi', fixture('no-oauth.json'), '--client-id', 'x', '--gpt-id', GPT], { env: { GPT_OAUTH_CLIENT_SECRET: 's' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no oauth2 security scheme under components\.securitySchemes.*flows\.authorizationCode/);
  });
});

describe('output', () => {
  it('ends with the GPT editor block; --json carries gptEditor with the secret masked', async () => {
    toy = await startToy({ client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai], auth: 'basic' } });
    const args = ['doctor', '--target', 'actions', '--auth-url', `${toy.origin}/authorize`, '--token-url', `${toy.origin}/token`, '--client-id', 'gpt', '--scope', 'mcp:read', '--gpt-id', `${GPT}-todo`, '--api-url', `${toy.origin}/api/me`, '--login', 'auto'];
    const human = await runCli(args, { env: { GPT_OAUTH_CLIENT_SECRET: SECRET } });
    expect(human.code).toBe(0);
    // The GPT editor block, then the two verdict lines.
    const tail = human.stdout.trimEnd().split('\n').slice(-13).join('\n');
    expect(tail).toMatch(/Paste into the GPT editor/);
    expect(tail).toMatch(/Token Exchange Method\s+Basic authorization header/);
    expect(tail).toContain(CB.openai);
    const json = await runCli([...args, '--json'], { env: { GPT_OAUTH_CLIENT_SECRET: SECRET } });
    const report = JSON.parse(json.stdout);
    expect(report.gptEditor.clientSecret).toBe('to••••89');
    for (const out of [human.stdout, human.stderr, json.stdout, json.stderr]) expect(out).not.toContain(SECRET);
  });
});

describe('legacy plugins', () => {
  it('reads ai-plugin.json, reports it as retired and maps its auth block onto the GPT fields', async () => {
    toy = await startToy({ plugin: true, client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai] } });
    // No --auth-url/--token-url: the manifest at the API origin supplies them.
    const r = await runCli(['doctor', '--target', 'actions', '--api-url', `${toy.origin}/api/me`, '--client-id', 'gpt', '--gpt-id', GPT, '--login', 'auto', '--json'], { env: { GPT_OAUTH_CLIENT_SECRET: SECRET } });
    const report = JSON.parse(r.stdout);
    expect(r.stderr).toMatch(/retired plugin manifest/);
    const plugin = report.checks.find((c: { id: string }) => c.id === 'actions.legacy-plugin');
    expect(plugin.status).toBe('warn');
    expect(plugin.detail).toContain(`Authorization URL = ${toy.origin}/authorize; Token URL = ${toy.origin}/token; Scope = mcp:read`);
    expect(plugin.detail).toMatch(/JSON token request/);
    expect(report.gptEditor.authorizationUrl).toBe(`${toy.origin}/authorize`);
    expect(r.code).toBe(0);
  });
});

describe('--sandbox --target actions (CLI)', () => {
  it('passes and exits 0', async () => {
    const r = await runCli(['doctor', '--sandbox', '--target', 'actions', '--login', 'auto']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/10 passed, 0 failed/);
    expect(r.stdout).toMatch(/^✓ No security problems found$/m);
  });
  it('a selection that leaves out the garbage-token test is no security verdict (partial)', async () => {
    const r = await runCli(['doctor', '--sandbox', '--target', 'actions', '--login', 'auto', '--skip', 'actions.api-call', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const j = JSON.parse(r.stdout) as Report;
    expect(j.verdict).toEqual({ chatgpt: 'partial', security: 'partial' });
    expect(j.selection?.notSelected).toEqual({ chatgpt: 1, security: 1, interop: 0 });
  });
  it('refuses --login browser with an explanation', async () => {
    const r = await runCli(['doctor', '--sandbox', '--target', 'actions', '--login', 'browser']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/only ChatGPT's callback URLs/);
  });
});
