/** Small things a person trips on in the options and hints (#30 items 7, 8, 10). */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSeconds } from '../src/commands/doctor/options.js';
import { runCli } from './helpers/cli.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('7. --deadline and --login-timeout take units', () => {
  it('seconds, minutes or both; a bare number is seconds', () => {
    expect(parseSeconds('300', '--deadline', 1)).toBe(300);
    expect(parseSeconds('90s', '--deadline', 1)).toBe(90);
    expect(parseSeconds('5m', '--login-timeout', 1)).toBe(300);
    expect(parseSeconds('1m30s', '--login-timeout', 1)).toBe(90);
    expect(parseSeconds(undefined, '--deadline', 600)).toBe(600);
  });
  it('anything else is a usage error that names the units', () => {
    for (const v of ['0', '10x', '5ms', '-5', 'm', '']) {
      expect(() => parseSeconds(v, '--deadline', 1), v).toThrow(/--deadline must be a duration in seconds \(300, 90s\) or minutes \(5m, 1m30s\)/);
    }
  });
  it('the CLI accepts 90s and 5m, and refuses 10x with exit 2 before any request', async () => {
    const bad = await runCli(['doctor', 'http://127.0.0.1:9/mcp', '--deadline', '10x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--deadline must be a duration in seconds \(300, 90s\) or minutes/);
    const ok = await runCli(['doctor', '--sandbox', '--deadline', '2m', '--login-timeout', '90s', '--only', 'prm.']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('8. URL hints', () => {
  it('a schemeless host:port/path gets the corrected URL: http:// on this machine, https:// elsewhere (exit 2)', async () => {
    const local = await runCli(['doctor', '127.0.0.1:8080/mcp']);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/"127\.0\.0\.1:8080\/mcp" has no scheme: did you mean http:\/\/127\.0\.0\.1:8080\/mcp\?/);
    const remote = await runCli(['doctor', 'api.example.com/mcp']);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toMatch(/"api\.example\.com\/mcp" has no scheme: did you mean https:\/\/api\.example\.com\/mcp\?/);
  });

  const challenge = async (url: string) => {
    const r = await runCli(['doctor', url, '--login', 'auto', '--json']);
    return JSON.parse(r.stdout).checks.find((x: { id: string }) => x.id === 'resource.challenge') as { detail: string; fix: string };
  };

  it.skipIf(!hasOpenssl)('http:// to a port that speaks TLS: "speaks TLS, not plain HTTP", and the https:// URL', async () => {
    const { createServer } = await import('node:https');
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const s = createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (_q, res) => res.end('{}'));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    try {
      const c = await challenge(`http://127.0.0.1:${port}/mcp`);
      expect(c.detail).toBe(`http://127.0.0.1:${port}/mcp: 127.0.0.1:${port} speaks TLS, not plain HTTP — use https://127.0.0.1:${port}/mcp`);
      expect(c.fix).toBe(`Use https:// for this server: https://127.0.0.1:${port}/mcp`);
    } finally {
      s.close();
    }
  });

  it('"Start the server" only when nothing accepted the connection', async () => {
    const { createServer } = await import('node:net');
    // Accepts and closes at once: something is running there.
    const s = createServer((c) => c.destroy());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    try {
      const closing = await challenge(`http://127.0.0.1:${port}/mcp`);
      expect(closing.detail).toMatch(/the connection was closed before the response was complete/);
      expect(closing.fix).not.toMatch(/Start the server/);
      expect(closing.fix).toMatch(/Something accepted the connection and closed it/);
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
    // The same port, nothing listening now.
    const none = await challenge(`http://127.0.0.1:${port}/mcp`);
    expect(none.detail).toMatch(/nothing is listening on 127\.0\.0\.1:\d+/);
    expect(none.fix).toMatch(/^Start the server/);
  });
});

describe('10. reading the run', () => {
  it('doctor --help groups its options: what to check, sign-in, scope of the run, output, CI, --fix', async () => {
    const r = await runCli(['doctor', '--help']);
    expect(r.code).toBe(0);
    const headings = [...r.stdout.matchAll(/^([A-Z][^:\n]+):$/gm)].map((m) => m[1]);
    expect(headings).toEqual(['Arguments', 'What to check', 'Sign-in', 'Scope of the run', 'Output', 'CI', 'Fixing the provider (--fix)', 'Options', 'Global Options', 'Examples']);
    const section = (name: string) => r.stdout.split(`\n${name}:\n`)[1]!.split(/\n\n/)[0]!;
    expect(section('Sign-in')).toMatch(/--login <mode>[\s\S]*--login-timeout[\s\S]*--refresh-token-env/);
    expect(section('Output')).toMatch(/--report <file>[\s\S]*--junit <file>/);
    expect(section('CI')).toMatch(/--fail-on[\s\S]*--baseline/);
    expect(section('Scope of the run')).toMatch(/--only[\s\S]*--deadline/);
  });

  it('the collapsed view gives a skip\'s own reason, not "not applicable here"', async () => {
    const r = await runCli(['doctor', '--sandbox']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Registration {2}✓ 3 passed · - 1 skipped \(the server does not advertise client_id_metadata_document_supported\)$/m);
    expect(r.stdout).not.toMatch(/not applicable here/);
  });

  it('the callbacks example of the top-level help says where it works; elsewhere the error says what to add', async () => {
    const help = await runCli(['--help']);
    expect(help.stdout).toMatch(/gpt-oauth callbacks add --gpt-id g-AbC123xyz {4}register a saved GPT's callback URLs\n\s+\(in the folder init set up; elsewhere add\n\s+--provider NAME --app CLIENT_ID\)/);
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-cb-'));
    const r = await runCli(['callbacks', 'add', '--gpt-id', 'g-AbC123xyz'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing --provider \(clerk, auth0, stytch or supabase\) and --app \(the app id or client id\) — or run it in the folder where init wrote \.\/gpt-oauth\.yaml, which names them/);
  });
});
