/**
 * The tool itself under attack: each class of hostile input (regex DoS, malformed requests,
 * terminal and report injection, steered or dodged redaction, lost updates are in
 * providers.test.ts) with the input built here, asserting bounded time, no crash, no escape
 * bytes and no secret in any output.
 */
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearSecrets, redact, registerClientCredentials, registerSecret } from '../src/http/redact.js';
import { safeText } from '../src/text.js';
import { parseWwwAuthenticate } from '../src/oauth/www-authenticate.js';
import { parseJson } from '../src/http/json.js';
import { HttpClient } from '../src/http/client.js';
import { createLoginDriver } from '../src/login/index.js';
import { probeAuthorization } from '../src/login/auto.js';
import { startSandbox } from '../src/sandbox/server.js';
import { renderMarkdown } from '../src/doctor/report.js';
import { runCli } from './helpers/cli.js';
import { EVIL, startToy } from './helpers/toy-server.js';

const MiB = 1 << 20;
const timed = <T>(fn: () => T): { ms: number; value: T } => { const t = performance.now(); const value = fn(); return { ms: performance.now() - t, value }; };

describe('1. every pattern that runs on server text is linear (or runs on a bounded slice)', () => {
  const inputs: [string, string][] = [
    ['eyJ runs (a JWT start without dots)', 'eyJ'.repeat(MiB)],
    ['token characters with dots', 'eyJaaaaaaaa.'.repeat(MiB / 4)],
    ['"code": " without a closing quote', '"code": "'.repeat(MiB / 8) + 'a'.repeat(MiB)],
    ['Bearer runs', 'Bearer '.repeat(MiB / 4)],
    ['OSC and CSI starts', '\u001b]'.repeat(MiB / 2) + '\u001b['.repeat(MiB / 2)],
    ['< without >', '<'.repeat(3 * MiB)],
  ];
  for (const [name, input] of inputs) {
    it(`redact, safeText, parseWwwAuthenticate and parseJson on ${(input.length / MiB).toFixed(1)} MiB of ${name}`, () => {
      for (const fn of [() => redact(input), () => safeText(input, 10 * MiB), () => parseWwwAuthenticate(input), () => { try { parseJson(input); } catch { /* refused */ } }]) {
        expect(timed(fn).ms).toBeLessThan(1500);
      }
    });
  }
  it('JSON nested 20,000 deep is refused by name, not with a stack overflow', () => {
    expect(() => parseJson(`${'['.repeat(20_000)}${']'.repeat(20_000)}`)).toThrow(/JSON nested too deeply/);
  });
  it('a 1 MiB page of "<" at the authorization endpoint is summarised at once', async () => {
    const { createServer } = await import('node:http');
    const page = `<title>${'<'.repeat(MiB)}`;
    const server = createServer((_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const http = new HttpClient({ timeoutMs: 5000, maxBytes: 2 * MiB, userAgent: 'test' });
    try {
      const t = performance.now();
      const p = await probeAuthorization(http, new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/authorize`), 'https://chatgpt.com/cb');
      expect(performance.now() - t).toBeLessThan(1500);
      expect(p.kind).toBe('page');
    } finally {
      await http.close();
      server.close();
    }
  });
  it('the Markdown report of a 1 MiB adversarial detail renders at once', () => {
    const check = { id: 'a.b', status: 'fail' as const, severity: 'high' as const, title: 't', detail: '[!*_`'.repeat(MiB / 5), spec: [], references: [], durationMs: 1, step: 'Discovery', impact: 'chatgpt' as const };
    const report = { tool: 'gpt-oauth' as const, version: '0', target: 'apps' as const, subject: 'x', startedAt: '', durationMs: 1, summary: { passed: 0, failed: 1, warnings: 0, skipped: 0 }, verdict: { chatgpt: 'fail' as const, security: 'pass' as const }, checks: [check] };
    expect(timed(() => renderMarkdown(report)).ms).toBeLessThan(1500);
  });
  it('--deadline ends a run against a server that never answers, with the checks incomplete', async () => {
    const toy = await startToy({ jwks: 'hang' });
    try {
      const t = Date.now();
      const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--deadline', '2', '--timeout', '30000', '--json']);
      expect(Date.now() - t).toBeLessThan(15_000);
      const j = JSON.parse(r.stdout);
      expect(j.checks.find((c: { id: string }) => c.id === 'jwks.keys')).toMatchObject({ status: 'skip', incomplete: true, detail: expect.stringMatching(/--deadline/) });
      expect(r.code).toBe(3);
    } finally {
      await toy.close();
    }
  });
});

/** Send raw bytes, return the first line of the answer. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(request));
    let got = '';
    s.on('data', (d) => { got += d.toString(); if (got.includes('\r\n')) { s.destroy(); resolve(got.split('\r\n')[0]!); } });
    s.on('error', reject);
    s.setTimeout(5000, () => { s.destroy(); reject(new Error('no answer')); });
  });
}

describe('2. a malformed request answers 400 and kills nothing', () => {
  it('the browser-login listener', async () => {
    const http = new HttpClient({ timeoutMs: 5000, maxBytes: MiB, userAgent: 'test' });
    const login = await createLoginDriver({ mode: 'browser', http, say: () => undefined });
    try {
      const port = Number(new URL(login.redirectUri).port);
      for (const target of ['//[', 'http://[::1', '//%zz']) {
        expect(await raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 (400|404)/);
      }
      expect(await raw(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 404/); // still alive
    } finally {
      await login.close();
      await http.close();
    }
  });
  it('the sandbox', async () => {
    const sb = await startSandbox();
    try {
      const port = Number(new URL(sb.origin).port);
      expect(await raw(port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
      expect(await raw(port, 'GET /.well-known/oauth-protected-resource/mcp HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 200/); // still alive
    } finally {
      await sb.close();
    }
  });
});

// Bytes below 0x20 other than \n and \t, C1, and bidi controls.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

describe('3 and 4. terminal and report injection', () => {
  it('a server that sends escapes, C1, bidi and Markdown everywhere reaches no output raw', async () => {
    const toy = await startToy({ evilText: true, refresh: 'refuse' });
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-evil-'));
    try {
      const files = { junit: join(dir, 'j.xml'), report: join(dir, 'r.md'), trace: join(dir, 't.har') };
      const summary = join(dir, 'summary.md');
      const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GPT_OAUTH_CONFIG_DIR: join(dir, 'cfg'), GPT_OAUTH_SECRET_BACKEND: 'file' };
      const human = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--junit', files.junit, '--report', files.report, '--trace', files.trace, '--debug'], { env });
      const json = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--json'], { env });
      expect(human.stdout).toMatch(/refresh\.grant/);
      for (const [name, text] of [['stdout', human.stdout], ['stderr', human.stderr], ['--json', json.stdout], ['junit', readFileSync(files.junit, 'utf8')], ['har', readFileSync(files.trace, 'utf8')], ['report', readFileSync(files.report, 'utf8')], ['step summary', readFileSync(summary, 'utf8')]] as const) {
        expect(FORBIDDEN.test(text), `${name} carries a control byte`).toBe(false);
      }
      // The server's text is still there, in plain words, but its Markdown is inert.
      const md = readFileSync(files.report, 'utf8');
      expect(md).toMatch(/\\\[link\\\]\\\(https:\/\/evil\.example\\\)/);
      expect(md).not.toMatch(/[^\\]\[link\]\(/);
      expect(md).not.toMatch(/<b>/);
      // The server's words are kept, without the control characters.
      expect(JSON.parse(json.stdout).checks.find((c: { id: string }) => c.id === 'refresh.grant').detail).toMatch(/bad refresh token REDclickoverride\[link\]/);
    } finally {
      await toy.close();
    }
  });
  it('--save-refresh-token prints a server-chosen client id safely and quotes it in the command to copy', async () => {
    const toy = await startToy({ evilText: true });
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-evil-'));
    try {
      const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--save-refresh-token'], { env: { GPT_OAUTH_CONFIG_DIR: dir, GPT_OAUTH_SECRET_BACKEND: 'file' } });
      expect(FORBIDDEN.test(r.stderr)).toBe(false);
      const cmd = /--client-id ('.*?') --refresh-token-env/.exec(r.stderr);
      expect(cmd, r.stderr).toBeTruthy(); // single-quoted: a shell sees one argument
      expect(cmd![1]!.slice(1, -1)).not.toContain("'");
    } finally {
      await toy.close();
    }
  });
});

describe('5. redaction that cannot be steered or dodged', () => {
  it('a server cannot blank gpt-oauth\'s own words by offering them as secrets', () => {
    clearSecrets();
    registerSecret('ChatGPT can connect', 'cookie');
    registerSecret('security', 'client_secret');
    registerSecret('authorization', 'code');
    expect(redact('✓ ChatGPT can connect\n✓ No security problems found — authorization')).toBe('✓ ChatGPT can connect\n✓ No security problems found — authorization');
    registerSecret('s3cr3t-T0ken-value-123', 'access_token');
    expect(redact('x s3cr3t-T0ken-value-123 y')).toBe('x [redacted access_token] y');
  });
  it('every derived form of a secret is redacted: Basic pair without the prefix, URL-, JSON- and XML-escaped', () => {
    clearSecrets();
    const secret = 'p"a\\ss&<wo>rd 42';
    registerClientCredentials('client-1', secret);
    const basic = Buffer.from(`client-1:${secret}`).toString('base64');
    const formBasic = Buffer.from(`client-1:${new URLSearchParams({ v: secret }).toString().slice(2)}`).toString('base64');
    const out = redact([secret, encodeURIComponent(secret), JSON.stringify(secret), secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'), basic, formBasic].join(' | '));
    expect(out).not.toContain('wo>rd');
    expect(out).not.toContain('wo&gt;rd');
    expect(out).not.toContain('wo%3Erd');
    expect(out).not.toContain(basic);
    expect(out).not.toContain(formBasic);
  });
  it('cookies are redacted by position (header, HAR), not turned into needles', async () => {
    const { CookieJar } = await import('../src/login/cookies.js');
    clearSecrets();
    new CookieJar().store(new URL('http://127.0.0.1/'), 'x=ChatGPT can connect; Path=/');
    expect(redact('✓ ChatGPT can connect')).toBe('✓ ChatGPT can connect');
  });
});

describe('9. the secrets directory', () => {
  it('is created 0700 whatever the umask; the file stays 0600', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-umask-')), 'cfg');
    const old = process.umask(0);
    try {
      const { storeSecret } = await import('../src/secrets.js');
      const where = await storeSecret('test:account', 'a-secret-value-123', { GPT_OAUTH_CONFIG_DIR: dir, GPT_OAUTH_SECRET_BACKEND: 'file' });
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(where.where.split(' ')[0]!).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });
});

describe('8. clear errors instead of library text', () => {
  it('a token endpoint that never answers or sends too much: the HTTP failure in words', async () => {
    for (const [kind, message] of [['slow-drip', /no complete response within 2 s/], ['huge-body', /larger than the 1 MiB limit/]] as const) {
      const toy = await startToy(kind === 'slow-drip' ? { hostile: { path: /^\/token$/, kind: 'slow-drip' } } : { hugeToken: true });
      try {
        const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--timeout', '2000', '--json', '--only', 'token.exchange']);
        const c = JSON.parse(r.stdout).checks.find((x: { id: string }) => x.id === 'token.exchange');
        expect(c.detail).toMatch(message);
        expect(c.detail).not.toMatch(/something went wrong/i);
      } finally {
        await toy.close();
      }
    }
  }, 30_000);
});

export { EVIL };
