/**
 * Hostile or broken servers never crash the doctor: each becomes a failed check with a clear
 * detail, the process exits 1, and no stack trace is printed. Runs the built CLI binary.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { startToy, type Toy, type ToyFlags } from './helpers/toy-server.js';

let toy: Toy | undefined;
afterEach(async () => { await toy?.close(); toy = undefined; });

const STACK = /^\s+at .+[:(]\d+:\d+\)?$/m;

const cases: { name: string; flags: ToyFlags; id: string; detail: RegExp; args?: string[] }[] = [
  { name: 'HTML instead of JSON metadata', flags: { prm: 'html' }, id: 'prm.document', detail: /HTML page/ },
  { name: 'a 50 MB metadata body', flags: { asMetadata: 'huge' }, id: 'as.metadata', detail: /larger than the 1 MiB limit/ },
  { name: 'a redirect loop at the authorization endpoint', flags: { authorizeLoop: true }, id: 'authz.state', detail: /more than 12 redirects/ },
  { name: 'a JWKS endpoint that hangs past the timeout', flags: { jwks: 'hang' }, id: 'jwks.keys', detail: /no complete response within 1 s/, args: ['--timeout', '1000'] },
  { name: 'a malformed JWT access token', flags: { tokenFormat: 'malformed' }, id: 'token.jwt-signature', detail: /malformed JWT/ },
  { name: 'a JWKS with a private key', flags: { jwks: 'private' }, id: 'jwks.no-private', detail: /private key material/ },
];

describe('hostile servers become findings, not crashes', () => {
  for (const c of cases) {
    it(c.name, async () => {
      toy = await startToy(c.flags);
      const started = Date.now();
      const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', ...(c.args ?? [])]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stdout).not.toMatch(STACK);
      const line = r.stdout.split('\n').findIndex((l) => l.includes(`✗ ${c.id}`));
      expect(line, r.stdout).toBeGreaterThan(-1);
      expect(r.stdout.split('\n')[line + 1]).toMatch(c.detail);
      expect(Date.now() - started).toBeLessThan(20_000);
    });
  }

  it('fix texts that quote a WWW-Authenticate challenge are printed whole, not mistaken for tokens', async () => {
    toy = await startToy({ challenge: 'anonymous-ok' });
    const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/fix: .*WWW-Authenticate: Bearer resource_metadata="https:\/\/…\/\.well-known\/oauth-protected-resource\/…"/);
    expect(r.stdout).not.toContain('Bearer [redacted]');
  });

  it('reports as JSON too, with the failed check and exit 1', async () => {
    toy = await startToy({ asMetadata: 'huge' });
    const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.checks.find((c: { id: string }) => c.id === 'as.metadata').status).toBe('fail');
  });
});

describe('usage errors exit 2 and name the flag', () => {
  it('no URL and no --sandbox', async () => {
    const r = await runCli(['doctor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing the MCP server URL.*--sandbox/);
  });
  it('an http URL that is not loopback', async () => {
    const r = await runCli(['doctor', 'http://example.com/mcp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/must use https/);
  });
  it('an unknown login mode', async () => {
    const r = await runCli(['doctor', '--sandbox', '--login', 'psychic']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--login/);
  });
  it('--login command without --login-command', async () => {
    const r = await runCli(['doctor', '--sandbox', '--login', 'command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--login-command/);
  });
  it('a GPT Action secret exported in the shell does not stop a connector check; an explicit one needs --client-id', async () => {
    const secret = 'exported-for-the-gpt-action-5551';
    const ok = await runCli(['doctor', '--sandbox', '--debug'], { env: { GPT_OAUTH_CLIENT_SECRET: secret } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).not.toContain(secret);
    const bad = await runCli(['doctor', '--sandbox', '--client-secret-env', 'MY_SECRET'], { env: { MY_SECRET: secret } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/client secret was given without --client-id/);
  });
  it('--client-secret-env naming an unset variable', async () => {
    const r = await runCli(['doctor', 'https://x.example/mcp', '--client-id', 'a', '--client-secret-env', 'NOPE_NOT_SET'], { env: { NOPE_NOT_SET: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/NOPE_NOT_SET/);
  });
  it('--json errors are JSON on stdout', async () => {
    const r = await runCli(['doctor', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('usage');
  });
});
