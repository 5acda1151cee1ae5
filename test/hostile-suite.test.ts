/**
 * The hostile-input suite: every endpoint kind answered with each bad response of a catalogue.
 * Every case ends in a finding with a clear detail within the time budget; nothing hangs,
 * crashes, prints raw control characters, or fetches a URL the user did not opt into.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { startToy, type Hostile, type Toy, type ToyFlags } from './helpers/toy-server.js';

let toy: Toy | undefined;
afterEach(async () => { await toy?.close(); toy = undefined; });

const STACK = /^\s+at .+[:(]\d+:\d+\)?$/m;
// Raw control characters other than newline and tab (ANSI/OSC escapes, CR, BEL…).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

const PRM = /^\/\.well-known\/oauth-protected-resource/;
const AS = /^\/\.well-known\/(oauth-authorization-server|openid-configuration)/;
const cases: { kind: Hostile; path: RegExp; id: string; detail: RegExp; status?: string }[] = [
  { kind: 'wrong-content-type', path: PRM, id: 'prm.document', detail: /text\/plain instead of application\/json/ },
  { kind: 'truncated-json', path: PRM, id: 'prm.document', detail: /not valid JSON/ },
  { kind: 'deep-json', path: AS, id: 'as.metadata', detail: /JSON nested too deeply \(more than 256 levels\)/ },
  { kind: 'many-keys', path: /^\/jwks$/, id: 'jwks.keys', detail: /10000 keys; refusing to process more than 100/ },
  { kind: 'huge-headers', path: AS, id: 'as.metadata', detail: /response headers are too large/ },
  { kind: 'slow-drip', path: /^\/jwks$/, id: 'jwks.keys', detail: /no complete response within 2 s/ },
  { kind: 'reset-mid-body', path: PRM, id: 'prm.document', detail: /closed before the response was complete/ },
  { kind: 'redirect-other-host', path: PRM, id: 'prm.document', detail: /redirect 302 \(not followed/ },
  { kind: 'redirect-private', path: AS, id: 'as.metadata', detail: /redirect 307 \(not followed/ },
  { kind: 'ansi-error', path: /^\/token$/, id: 'token.exchange', detail: /invalid_grant/ },
];

async function run(flags: ToyFlags) {
  toy = await startToy(flags);
  const started = Date.now();
  const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--timeout', '2000', '--json']);
  const elapsed = Date.now() - started;
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stdout + r.stderr).not.toMatch(CONTROL);
  expect(elapsed).toBeLessThan(30_000);
  return { r, report: JSON.parse(r.stdout) as { checks: { id: string; status: string; detail: string }[] } };
}

describe('hostile responses become findings', () => {
  for (const c of cases) {
    it(`${c.kind} at ${c.path.source}`, async () => {
      const { r, report } = await run({ hostile: { path: c.path, kind: c.kind } });
      expect(r.code).toBe(1);
      const check = report.checks.find((x) => x.id === c.id)!;
      expect(check.status, check.detail).toBe(c.status ?? 'fail');
      expect(check.detail).toMatch(c.detail);
      // Redirects are reported, never followed: nothing was fetched from another host.
      expect(toy!.requests.some((p) => p.includes('meta-data'))).toBe(false);
    });
  }

  it('ANSI/OSC escape sequences in error_description never reach the terminal raw', async () => {
    toy = await startToy({ hostile: { path: /^\/token$/, kind: 'ansi-error' } });
    const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto'], { env: { FORCE_COLOR: '0' } });
    expect(r.stdout).toContain('YOUR TERMINAL IS MINE');
    expect(r.stdout).not.toMatch(/\u001b\]|\u001b\[2J|\u0007/);
    expect(r.stdout).not.toMatch(/\r/);
  });
});

describe('URLs the user did not opt into are reported and not fetched', () => {
  it('a jwks_uri on another domain is refused with a finding naming --allow-host', async () => {
    const { r, report } = await run({ jwksUri: 'https://keys.attacker.example/jwks.json' });
    expect(r.code).toBe(1);
    const jwks = report.checks.find((x) => x.id === 'jwks.keys')!;
    expect(jwks.status).toBe('fail');
    expect(jwks.detail).toMatch(/keys\.attacker\.example is outside the domains of the server and its issuer.*--allow-host keys\.attacker\.example/);
  });

  it('a jku header in a token is never dereferenced', async () => {
    const { r } = await run({ jku: true });
    expect(r.code).toBe(0);
    expect(toy!.requests).not.toContain('/jku');
  });

  it('private addresses are refused for a public subject, allowed for a loopback one', async () => {
    const { UrlPolicy } = await import('../src/http/policy.js');
    const pub = new UrlPolicy('https://api.example.com/mcp');
    for (const u of ['http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/x', 'http://127.0.0.1:8080/', 'http://[::1]/', 'http://[::ffff:192.168.1.1]/', 'http://localhost/']) {
      expect(pub.check(new URL(u)), u).toMatch(/private or loopback address/);
    }
    expect(pub.check(new URL('https://auth.example.com/.well-known/openid-configuration'))).toBeUndefined();
    expect(pub.check(new URL('https://evil.example.net/'))).toMatch(/outside the domains/);
    pub.trust('https://tenant.auth0.com/');
    expect(pub.check(new URL('https://tenant.auth0.com/.well-known/jwks.json'))).toBeUndefined();
    expect(new UrlPolicy('http://127.0.0.1:3000/mcp').check(new URL('http://127.0.0.1:4000/token'))).toBeUndefined();
    expect(new UrlPolicy('https://api.example.com/mcp', { allowHosts: ['keys.other.net'] }).check(new URL('https://keys.other.net/jwks'))).toBeUndefined();
    // A public name resolving to a private address is refused at connection time (DNS rebinding).
    const refused = await new Promise<string>((resolve) => pub.lookup('localhost', {}, (err) => resolve(err?.message ?? 'allowed')));
    expect(refused).toMatch(/resolves to a private address/);
  });
});
