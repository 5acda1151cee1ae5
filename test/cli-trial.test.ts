/** What a new user's trial of the CLI tripped on: files named by flags, hints, notes. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const workdir = () => mkdtempSync(join(tmpdir(), 'gpt-oauth-trial-'));

describe('1. an explicit --config must exist', () => {
  it('doctor with a --config that does not exist: exit 2 naming the file, not "missing the MCP server URL"', async () => {
    const dir = workdir();
    const r = await runCli(['--config', 'does-not-exist.yaml', 'doctor'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: --config does-not-exist\.yaml: the file does not exist$/m);
    expect(r.stderr).not.toMatch(/missing the MCP server URL/);
  });

  it('in a configured folder, --config ../nope.yaml is refused instead of dropping the project file; the default may be absent', async () => {
    const dir = workdir();
    writeFileSync(join(dir, 'gpt-oauth.yaml'), 'version: 1\ntarget: apps\nprovider: sandbox\n');
    const r = await runCli(['--config', '../nope.yaml', 'doctor', '--only', 'prm.'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--config \.\.\/nope\.yaml: the file does not exist/);
    expect(r.stdout).toBe('');
    // Also when the flags say what to check (the file would be ignored).
    const withUrl = await runCli(['--config', 'nope.yaml', 'doctor', '--sandbox', '--only', 'prm.'], { cwd: dir });
    expect(withUrl.code).toBe(2);
    expect(withUrl.stderr).toMatch(/--config nope\.yaml: the file does not exist/);
    // The default project file, present: used; absent (another folder): no error about it.
    const ok = await runCli(['doctor', '--only', 'prm.'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    const none = await runCli(['doctor'], { cwd: workdir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing the MCP server URL/);
  });

  it('callbacks with a --config that does not exist: exit 2 before any request', async () => {
    const r = await runCli(['--config', 'nope.yaml', 'callbacks', 'list', '--provider', 'clerk', '--app', 'app_1'], { cwd: workdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--config nope\.yaml: the file does not exist/);
  });

  it('init writes the --config file, so a new one is fine; a directory that does not exist is refused before anything', async () => {
    const dir = workdir();
    const made = await runCli(['--config', 'new.yaml', 'init', '--no-input', '--provider', 'sandbox', '--target', 'apps', '--templates', 'none', '--no-doctor', '--no-open'], { cwd: dir });
    expect(made.code, made.stderr).toBe(0);
    expect(readFileSync(join(dir, 'new.yaml'), 'utf8')).toMatch(/provider: sandbox/);
    const r = await runCli(['--config', 'nodir/p.yaml', 'init', '--no-input', '--provider', 'sandbox', '--target', 'apps', '--templates', 'none', '--no-doctor', '--no-open'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--config nodir\/p\.yaml: the directory .*nodir does not exist/);
    expect(r.stderr).not.toMatch(/Wrote/);
  });
});

describe('3. every output file is checked before the run', () => {
  it.skipIf(process.platform !== 'linux')('--report in a directory that takes no files (/proc): exit 2 naming the flag, before any request', async () => {
    const r = await runCli(['doctor', '--sandbox', '--report', '/proc/nope.md']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: --report \/proc\/nope\.md: cannot write the file there \(no such file or directory\)$/m);
    expect(r.stderr).not.toMatch(/ENOENT|Starting the sandbox/);
    expect(r.stdout).toBe('');
  });

  it('--trace, --junit, --write-baseline: a directory that does not exist or a directory given as the file, each named', async () => {
    const dir = workdir();
    for (const flag of ['--trace', '--junit', '--report', '--write-baseline']) {
      const r = await runCli(['doctor', '--sandbox', flag, 'nodir/x.out'], { cwd: dir });
      expect(r.code, flag).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^Error: ${flag} nodir/x\\.out: the directory .*nodir does not exist$`, 'm'));
      const d = await runCli(['doctor', '--sandbox', flag, dir]);
      expect(d.code, flag).toBe(2);
      expect(d.stderr).toMatch(new RegExp(`^Error: ${flag} .*: that is a directory, not a file$`, 'm'));
    }
    // The check leaves no file behind; the run writes them.
    expect(existsSync(join(dir, 'nodir'))).toBe(false);
    const ok = await runCli(['doctor', '--sandbox', '--only', 'prm.', '--report', 'r.md', '--trace', 't.har'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toMatch(/ChatGPT/);
    expect(JSON.parse(readFileSync(join(dir, 't.har'), 'utf8')).log.entries.length).toBeGreaterThan(0);
  });
});

describe('3. a file that cannot be written after the run', () => {
  it.skipIf(process.platform !== 'linux')('GITHUB_STEP_SUMMARY in /proc: an Error line naming it and the reason, the report still on stdout, exit 1', async () => {
    const dir = workdir();
    const r = await runCli(['doctor', '--sandbox', '--only', 'prm.', '--report', 'r.md'], { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '/proc/nope-summary.md', GITHUB_OUTPUT: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: GITHUB_STEP_SUMMARY \/proc\/nope-summary\.md: could not append to the file \(no such file or directory\)$/m);
    expect(r.stderr).not.toMatch(/ENOENT|--debug/);
    expect(r.stdout).toMatch(/✓ The 2 selected ChatGPT checks pass/);
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toMatch(/ChatGPT/);
  });
});

describe('8. a GPT Action on this machine passes, with the note apps get', () => {
  it('--target actions with loopback Authorization and Token URLs: "is this machine" on stderr; --sandbox: none', async () => {
    const { startToy } = await import('./helpers/toy-server.js');
    const { gptCallbackUrls } = await import('../src/gpt-actions/gpt.js');
    const cb = gptCallbackUrls('g-AbC123xyz');
    const toy = await startToy({ client: { id: 'gpt', secret: 'toy_client_secret_0123456789', redirectUris: [cb.chatgpt, cb.openai] } });
    try {
      const r = await runCli(['doctor', '--target', 'actions', '--auth-url', `${toy.origin}/authorize`, '--token-url', `${toy.origin}/token`,
        '--client-id', 'gpt', '--gpt-id', 'g-AbC123xyz', '--api-url', `${toy.origin}/api/me`, '--scope', 'mcp:read', '--login', 'auto'],
      { env: { GPT_OAUTH_CLIENT_SECRET: 'toy_client_secret_0123456789' } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/✓ ChatGPT can connect/);
      expect(r.stderr).toMatch(/Note: 127\.0\.0\.1:\d+ is this machine\. ChatGPT connects from OpenAI's servers/);
    } finally {
      await toy.close();
    }
    const sb = await runCli(['doctor', '--sandbox', '--target', 'actions', '--login', 'auto']);
    expect(sb.code, sb.stderr).toBe(0);
    expect(sb.stderr).not.toMatch(/is this machine/);
  });
});

describe('2. --login browser where no browser can open, without a terminal', () => {
  it.skipIf(process.platform !== 'linux')('no display: said at once, no "Opening your browser", the sign-ins incomplete (exit 3) without waiting', async () => {
    const started = Date.now();
    const r = await runCli(['doctor', '--sandbox', '--login', 'browser', '--login-timeout', '60'],
      { env: { DISPLAY: undefined, WAYLAND_DISPLAY: undefined, GPT_OAUTH_BROWSER: undefined, WSL_DISTRO_NAME: undefined }, timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(Date.now() - started).toBeLessThan(20_000);
    // The first line of stderr, before the sandbox starts.
    expect(r.stderr.split('\n')[0]).toMatch(/^No browser can open here: no display \(DISPLAY and WAYLAND_DISPLAY are unset.*\)\. Without a terminal to paste at, the sign-ins end at once as incomplete: run it at a terminal with --login manual .*, or set GPT_OAUTH_BROWSER to a browser program\.$/);
    expect(r.stderr).not.toMatch(/Opening your browser|If it does not open, visit|waiting for the sign-in/);
    expect(r.stdout).toMatch(/the doctor could not sign in: no browser could be opened: no display/);
    expect(r.stdout).toMatch(/\? ChatGPT: incomplete/);
    expect(r.stdout).not.toMatch(/ChatGPT would fail/);
  });
});

describe('4. init without a terminal: the hint about secrets only when a secret is missing', () => {
  it('--provider sandbox without --target: exit 2 naming --target, no hint about secrets; a missing CLERK_SECRET_KEY: the hint', async () => {
    const r = await runCli(['init', '--no-input', '--provider', 'sandbox'], { cwd: workdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: missing --target actions\|apps\|both \(required when not running interactively\)$/m);
    expect(r.stderr).not.toMatch(/Secrets are read from the environment/);
    const clerk = await runCli(['init', '--no-input', '--provider', 'clerk', '--target', 'apps', '--mcp-url', 'https://api.example.com/mcp', '--yes'], { cwd: workdir(), env: { CLERK_SECRET_KEY: undefined } });
    expect(clerk.code).toBe(2);
    expect(clerk.stderr).toMatch(/missing CLERK_SECRET_KEY/);
    expect(clerk.stderr).toMatch(/Secrets are read from the environment, never from flag values\./);
  });
});

describe('5. .env.example lists what the project uses', () => {
  const envFor = async (target: string) => {
    const dir = workdir();
    const r = await runCli(['init', '--no-input', '--provider', 'custom', '--target', target, '--mcp-url', 'http://127.0.0.1:9/mcp', '--api-url', 'http://127.0.0.1:9/api/me', '--templates', 'env-example', '--no-doctor', '--no-open'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    return readFileSync(join(dir, '.env.example'), 'utf8');
  };
  it('apps only: the refresh token and client for CI, not the GPT Action\'s client secret; actions: that secret; both: both', async () => {
    const apps = await envFor('apps');
    expect(apps).not.toMatch(/GPT_OAUTH_CLIENT_SECRET|GPT Action/);
    expect(apps).toMatch(/^GPT_OAUTH_CLIENT_ID=$/m);
    expect(apps).toMatch(/^GPT_OAUTH_REFRESH_TOKEN=$/m);
    const actions = await envFor('actions');
    expect(actions).toMatch(/^GPT_OAUTH_CLIENT_SECRET=$/m);
    expect(actions).not.toMatch(/REFRESH_TOKEN/);
    const both = await envFor('both');
    expect(both).toMatch(/^GPT_OAUTH_CLIENT_SECRET=$/m);
    expect(both).toMatch(/^GPT_OAUTH_REFRESH_TOKEN=$/m);
  });
  it('the sandbox: nothing to set', async () => {
    const dir = workdir();
    const r = await runCli(['init', '--no-input', '--provider', 'sandbox', '--target', 'both', '--templates', 'env-example', '--no-doctor', '--no-open'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const env = readFileSync(join(dir, '.env.example'), 'utf8');
    expect(env).not.toMatch(/^[A-Z_]+=/m);
    expect(env).toMatch(/Nothing to set: the sandbox/);
  });
});

describe('6. an --openapi file that cannot be read is said first', () => {
  it('--openapi nonexist.yaml without --gpt-id or secret: exit 2 naming the file, not the other inputs', async () => {
    const r = await runCli(['doctor', '--target', 'actions', '--openapi', 'nonexist.yaml'], { cwd: workdir(), env: { GPT_OAUTH_CLIENT_SECRET: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: --openapi nonexist\.yaml: the file does not exist$/m);
    expect(r.stderr).not.toMatch(/missing|--gpt-id/);
  });
});

describe('7. a server value with control characters is shown with them visible, never raw', () => {
  it('quoted(): ESC, C1, DEL, bidi and newlines as escapes; quotes and backslashes escaped; capped', async () => {
    const { quoted } = await import('../src/text.js');
    expect(quoted('http://127.0.0.1:48511\u001b[31m')).toBe('"http://127.0.0.1:48511\\u001b[31m"');
    expect(quoted('a\u202eb\u2066c\u0085d\u007fe\u2028f"g\\h\ni\tj')).toBe('"a\\u202eb\\u2066c\\u0085d\\u007fe\\u2028f\\"g\\\\h\\ni\\tj"');
    expect(quoted('x'.repeat(10), 4)).toBe('"xxxx"… (6 more characters)');
    // Nothing below U+0020, no DEL, C1 or bidi control gets through, whatever the input.
    const all = Array.from({ length: 0x30 }, (_, i) => String.fromCharCode(i)).join('') + '\u007f\u0080\u009f\u200e\u200f\u061c\u202a\u202e\u2066\u2069';
    // eslint-disable-next-line no-control-regex
    expect(quoted(all, 1000)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/);
  });

  it('authorization_servers[0] with an ESC sequence: the detail shows \\u001b[31m, and no raw ESC reaches stdout', async () => {
    const { createServer } = await import('node:http');
    let origin = '';
    const s = createServer((req, res) => {
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ resource: `${origin}/mcp`, authorization_servers: [`${origin}\u001b[31m`] }));
      }
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`, 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    origin = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
    try {
      const r = await runCli(['doctor', `${origin}/mcp`, '--login', 'auto']);
      expect(r.stdout).toContain(`authorization_servers[0] is not a URL: "${origin}\\u001b[31m"`);
      expect(r.stdout + r.stderr).not.toContain('\u001b');
      const j = await runCli(['doctor', `${origin}/mcp`, '--login', 'auto', '--json']);
      const detail = (JSON.parse(j.stdout).checks as { id: string; detail: string }[]).find((c) => /is not a URL/.test(c.detail ?? ''))!.detail;
      expect(detail).toBe(`authorization_servers[0] is not a URL: "${origin}\\u001b[31m"`);
    } finally {
      s.close();
    }
  });
});
