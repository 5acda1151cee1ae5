import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, bearerChallenge } from '../src/oauth/www-authenticate.js';
import { clearSecrets, mask, redact, registerSecret } from '../src/http/redact.js';
import { safeText } from '../src/text.js';
import { asMetadataCandidates } from '../src/checks/apps/as.js';
import { scopesFor as chatgptScopes } from '../src/checks/apps/context.js';
import { tokenShape, tamperedToken, algNoneToken } from '../src/oauth/jwt.js';
import { CookieJar } from '../src/login/cookies.js';

describe('WWW-Authenticate parsing', () => {
  it('reads quoted parameters, escaped quotes and several challenges', () => {
    const h = 'Basic realm="x", Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp", scope="a b", error_description="say \\"hi\\""';
    const all = parseWwwAuthenticate(h);
    expect(all.map((c) => c.scheme)).toEqual(['Basic', 'Bearer']);
    const b = bearerChallenge(h)!;
    expect(b.params.resource_metadata).toBe('https://api.example.com/.well-known/oauth-protected-resource/mcp');
    expect(b.params.scope).toBe('a b');
    expect(b.params.error_description).toBe('say "hi"');
  });
  it('accepts token68-less bare schemes and unquoted values', () => {
    expect(bearerChallenge('Bearer')?.params).toEqual({});
    expect(bearerChallenge('bearer error=invalid_token')?.params.error).toBe('invalid_token');
    expect(bearerChallenge(undefined)).toBeUndefined();
  });
});

describe('redaction', () => {
  it('removes registered values (also URL-encoded), auth headers, form and JSON fields, JWTs', () => {
    clearSecrets();
    registerSecret('s3cr3t/value+with=chars', 'client_secret');
    const text = [
      'secret s3cr3t/value+with=chars and s3cr3t%2Fvalue%2Bwith%3Dchars',
      'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123',
      'GET /cb?code=abc123&state=xyz&iss=https%3A%2F%2Fas',
      '{"refresh_token": "rt-1", "token_type": "Bearer"}',
      'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
    ].join('\n');
    const out = redact(text);
    for (const leaked of ['s3cr3t', 'abcdefghijklmnop', 'abc123', 'xyz', 'rt-1', 'eyJzdWIi']) expect(out).not.toContain(leaked);
    expect(out).toContain('iss=https%3A%2F%2Fas'); // not a secret
    expect(out).toContain('"token_type": "Bearer"');
  });
  it('leaves prose and challenge parameters alone', () => {
    for (const text of [
      '401 with Bearer challenge; the token endpoint answered',
      'answer with 401 and `WWW-Authenticate: Bearer resource_metadata="https://x.example/.well-known/oauth-protected-resource/mcp"`',
      'WWW-Authenticate: Bearer error=invalid_token_because_expired, scope="mcp:tools"',
    ]) expect(redact(text)).toBe(text);
  });
  it('redacts Basic credentials with padding and tokens followed by punctuation', () => {
    expect(redact('Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==')).toBe('Authorization: Basic [redacted]');
    expect(redact('sent Bearer abc.def-ghi_jkl~mno123, then')).toBe('sent Bearer [redacted], then');
    expect(redact('{"authorization": "Bearer abcdefghijklmnop0123"}')).toBe('{"authorization": "Bearer [redacted]"}');
    expect(redact('"Basic dXNlcjpwYXNzd29yZDEyMw=="')).toBe('"Basic [redacted]"');
  });
  it('masks for display', () => {
    expect(mask('abcdefghijkl')).toBe('ab••••kl');
    expect(mask('short')).toBe('••••');
    expect(mask(undefined)).toBe('(none)');
  });
});

describe('terminal safety', () => {
  it('strips ANSI CSI/OSC sequences and control characters, keeps newlines', () => {
    const hostile = 'bad\u001b[31mred\u001b[0m \u001b]52;c;ZXZpbA==\u0007clip\u0000\u0008\nnext';
    expect(safeText(hostile)).toBe('badred clip\nnext');
  });
  it('caps length', () => {
    expect(safeText('x'.repeat(50), 10)).toMatch(/^x{10}… \(40 more characters\)$/);
  });
});

describe('discovery order (MCP 2025-11-25)', () => {
  it('without a path: RFC 8414 then OIDC', () => {
    expect(asMetadataCandidates('https://auth.example.com').map((c) => c.url)).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ]);
  });
  it('with a path: path-insert OAuth, path-insert OIDC, path-append OIDC', () => {
    expect(asMetadataCandidates('https://auth.example.com/tenant1/').map((c) => c.url)).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenant1',
      'https://auth.example.com/.well-known/openid-configuration/tenant1',
      'https://auth.example.com/tenant1/.well-known/openid-configuration',
    ]);
  });
});

describe("ChatGPT's scope selection", () => {
  it('uses the challenge scope, adds advertised OIDC scopes and offline_access', () => {
    const s = { provider: 'generic' as const, cleanup: [], logins: 0, challenge: { status: 401, scope: ['files:read'] }, prm: { scopes_supported: ['x'] }, as: { scopes_supported: ['openid', 'email', 'offline_access', 'admin'] } };
    expect(chatgptScopes(s)).toEqual(['files:read', 'openid', 'email', 'offline_access']);
  });
  it('falls back to PRM scopes_supported', () => {
    expect(chatgptScopes({ provider: 'generic', cleanup: [], logins: 0, prm: { scopes_supported: ['mcp'] } })).toEqual(['mcp']);
  });
});

describe('token shapes and forgeries', () => {
  const jwt = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"u","aud":"x"}').toString('base64url')}.c2ln`;
  it('classifies tokens', () => {
    expect(tokenShape(jwt).kind).toBe('jwt');
    expect(tokenShape('a.b.c.d.e').kind).toBe('jwe');
    expect(tokenShape('opaque-token').kind).toBe('opaque');
    expect(tokenShape(`${Buffer.from('{"alg":"ES256"}').toString('base64url')}.%%%.x`).kind).toBe('malformed-jwt');
  });
  it('tampers with the payload but keeps the signature; alg none has an empty signature', () => {
    const t = tamperedToken(jwt);
    expect(t.split('.')[2]).toBe('c2ln');
    expect(t.split('.')[1]).not.toBe(jwt.split('.')[1]);
    expect(algNoneToken({ sub: 'x' }).endsWith('.')).toBe(true);
  });
});

describe('cookie jar (auto login)', () => {
  it('keeps cookies per host, splits joined Set-Cookie headers, honours deletion and paths (RFC 6265 §5.1.4)', () => {
    const jar = new CookieJar();
    const u = new URL('http://127.0.0.1:1/x');
    jar.store(u, '_session=abc; path=/; expires=Wed, 01 Jan 2031 00:00:00 GMT; httponly, _interaction=def; path=/i');
    // _interaction is scoped to /i: sent to /i and below, not to /x or /info.
    expect(jar.header(u)).toBe('_session=abc');
    expect(jar.header(new URL('http://127.0.0.1:1/i/abc'))).toBe('_interaction=def; _session=abc');
    expect(jar.header(new URL('http://127.0.0.1:1/info'))).toBe('_session=abc');
    jar.store(u, '_interaction=; path=/i; expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(jar.header(new URL('http://127.0.0.1:1/i/abc'))).toBe('_session=abc');
    expect(jar.header(new URL('http://127.0.0.2:1/'))).toBe('');
    // Without a Path attribute the default path is the request's directory.
    jar.store(new URL('http://127.0.0.1:1/auth/resume/1'), 'resume=1');
    expect(jar.header(new URL('http://127.0.0.1:1/auth/resume/2'))).toBe('resume=1; _session=abc');
    expect(jar.header(new URL('http://127.0.0.1:1/auth'))).toBe('_session=abc');
  });
});

describe('session lock (auto login sign-ins sharing one session)', () => {
  it('lets readers share, gives a writer the session alone, and serves waiters first come first served', async () => {
    const { SessionLock } = await import('../src/login/cookies.js');
    const lock = new SessionLock();
    const events: string[] = [];
    const r1 = await lock.shared();
    const r2 = await lock.shared();
    const w = lock.exclusive().then((release) => { events.push('writer'); return release; });
    const r3 = lock.shared().then((release) => { events.push('reader after writer'); return release; });
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([]); // the writer waits for both readers; the later reader waits behind it
    r1();
    r1(); // releasing twice is harmless
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([]);
    r2();
    const release = await w;
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual(['writer']);
    release();
    (await r3)();
    expect(events).toEqual(['writer', 'reader after writer']);
  });
});

describe('report verdict line', () => {
  it('accounts for every check: info results are counted too, in the terminal and the Markdown summary', async () => {
    const { renderHuman } = await import('../src/ui/render.js');
    const { renderMarkdown } = await import('../src/doctor/report.js');
    const check = (id: string, status: 'pass' | 'info' | 'warn') => ({ id, status, severity: 'high' as const, title: id, detail: 'd', spec: [], references: [], durationMs: 1, step: 'Discovery', impact: 'chatgpt' as const });
    const report = {
      tool: 'gpt-oauth' as const, version: '0', target: 'apps' as const, subject: 'http://127.0.0.1/mcp', startedAt: new Date(0).toISOString(), durationMs: 5,
      summary: { passed: 1, failed: 0, warnings: 1, skipped: 0 },
      verdict: { chatgpt: 'pass' as const, security: 'pass' as const },
      checks: [check('a.one', 'pass'), check('a.two', 'info'), check('a.three', 'info'), check('a.four', 'warn')],
    };
    expect(renderHuman(report, false)).toMatch(/1 passed, 0 failed, 1 warnings, 0 skipped, 2 info/);
    expect(renderMarkdown(report)).toMatch(/1 passed, 0 failed, 1 warnings, 0 skipped, 2 info/);
  });
});

describe('what the doctor sends follows the grammar it must follow', () => {
  it('state (RFC 6749 A.5 VSCHAR), PKCE (RFC 7636 §4.1, §4.2), an unregistered client_id (RFC 6749 A.1), a nonce', async () => {
    const { longState, newPkce, randomToken } = await import('../src/oauth/pkce.js');
    const { unregisteredClient } = await import('../src/checks/apps/grants.js');
    const VSCHAR = /^[\x20-\x7e]+$/;
    const UNRESERVED = /^[A-Za-z0-9\-._~]+$/;
    for (let i = 0; i < 200; i++) {
      const state = longState();
      expect(state).toMatch(VSCHAR);
      expect(state).toMatch(UNRESERVED);
      expect(state).toMatch(/^oauth_s_[0-9a-f]+/);
      const { verifier, challenge } = newPkce();
      expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
      expect(challenge).toMatch(/^[A-Za-z0-9\-_]{43}$/);
      const c = unregisteredClient();
      expect(c.clientId).toMatch(VSCHAR);
      expect(c.clientSecret).toMatch(VSCHAR);
      expect(randomToken(12)).toMatch(UNRESERVED);
    }
  });
});

describe('--timeout', () => {
  it('takes milliseconds or seconds', async () => {
    const { parseTimeout } = await import('../src/commands/doctor/options.js');
    expect(parseTimeout(undefined)).toBe(10_000);
    expect(parseTimeout('2000')).toBe(2000);
    expect(parseTimeout('500ms')).toBe(500);
    expect(parseTimeout('3s')).toBe(3000);
    expect(parseTimeout('1.5s')).toBe(1500);
    expect(() => parseTimeout('100ms')).toThrow(/100 ms, too short/);
    expect(() => parseTimeout('-1')).toThrow(/must be a duration/);
  });
});

describe('the invocation printed in commands', () => {
  it('is the one that works where gpt-oauth was run', async () => {
    const { invocation } = await import('../src/invocation.js');
    const { VERSION } = await import('../src/version.js');
    expect(invocation('/home/u/.npm/_npx/1a2b/node_modules/.bin/gpt-oauth')).toBe(`npx gpt-oauth-cli@${VERSION}`);
    expect(invocation('/home/u/app/node_modules/.bin/gpt-oauth')).toBe('npx gpt-oauth-cli');
    expect(invocation('/usr/local/bin/gpt-oauth')).toBe('gpt-oauth');
    expect(invocation('/src/gpt oauth/bin/gpt-oauth.js')).toBe("node '/src/gpt oauth/bin/gpt-oauth.js'");
  });
});

describe('the library entry point', () => {
  it('publishes the report schema the tests validate --json with', async () => {
    const lib = await import('gpt-oauth-cli');
    const { reportSchema } = await import('./helpers/report-schema.js');
    expect(lib.reportSchema).toEqual(reportSchema);
    expect(Object.keys(lib).sort()).toEqual(['reportSchema', 'runDoctor', 'startSandbox']);
  });
});
