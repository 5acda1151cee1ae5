/**
 * First contact and first failure, as a newcomer meets them: a report whose last screen is the
 * answer, network failures in words, a web page that is not an MCP endpoint, the sandbox's
 * manners, help that shows defaults and examples, init that names everything missing at once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from './helpers/cli.js';
import { exitCodeFrom, hasTmux, Terminal } from './helpers/tmux.js';
import { startToy } from './helpers/toy-server.js';
import { reportError } from '../src/cli.js';
import { CancelledError } from '../src/errors.js';
import { createIO } from '../src/ui/io.js';

let term: Terminal | undefined;
afterEach(() => { term?.kill(); term = undefined; });

describe.skipIf(!hasTmux)('3. the last screen of a 40-row terminal is the answer', () => {
  const run = async (args: string, dir: string) => {
    const exitFile = join(dir, `exit-${Math.random()}`);
    term = new Terminal(`env -u CI TERM=xterm-256color NO_COLOR=1 '${process.execPath}' '${BIN}' ${args}; echo $? > '${exitFile}'; sleep 30`, dir, { cols: 120, rows: 40 });
    const code = await exitCodeFrom(exitFile, 45_000);
    await new Promise((r) => setTimeout(r, 300));
    const screen = term.visible().trimEnd().split('\n');
    return { code, screen };
  };
  it('a failing run ends with the first fix and both verdicts on screen', async () => {
    const toy = await startToy({ dropMeta: ['code_challenge_methods_supported'], refresh: 'old-valid' });
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-40rows-'));
    try {
      const { code, screen } = await run(`doctor ${toy.mcpUrl} --login auto`, dir);
      expect(code).toBe(1);
      const last = screen.slice(-10).join('\n');
      writeFileSync(join(dir, 'last-10-failing.txt'), last);
      expect(last).toMatch(/Fix first: as\.pkce-s256/);
      expect(last).toMatch(/✗ ChatGPT would fail/);
      expect(last).toMatch(/security problem/);
    } finally {
      await toy.close();
    }
  }, 60_000);
  it('a passing run fits: the collapsed report and both verdicts are on one screen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-40rows-'));
    const { code, screen } = await run('doctor --sandbox', dir);
    expect(code).toBe(0);
    const all = screen.join('\n');
    expect(all).toMatch(/gpt-oauth doctor · apps/);
    expect(screen.slice(-2).join('\n')).toMatch(/✓ ChatGPT can connect\n✓ No security problems found/);
  }, 60_000);
  it('shows a spinner with the current step while it works, and stops it at the end', async () => {
    const toy = await startToy({ hostile: { path: /^\/jwks$/, kind: 'slow-drip' } });
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-spinner-'));
    try {
      term = new Terminal(`env -u CI TERM=xterm-256color '${process.execPath}' '${BIN}' doctor ${toy.mcpUrl} --login auto --timeout 3000; sleep 30`, dir, { cols: 120, rows: 40 });
      // Checks run concurrently: the spinner names the step and check started last.
      const during = await term.waitFor(/(Discovery|Keys|Registration|Authorization|Tokens|Refresh|Resource|Security): [a-z]+\.[a-z-]+\s+\(Ctrl-C to stop\)/, 20_000);
      expect(during).toMatch(/Ctrl-C to stop/);
      const after = await term.waitFor(/No security problems found|security problem|Security: incomplete/, 20_000);
      expect(after).not.toMatch(/Ctrl-C to stop\)\s*$/);
    } finally {
      await toy.close();
    }
  }, 60_000);
});

describe('4. network failures read as network failures', () => {
  it('nothing listening: says so with host and port, and gives no metadata advice', async () => {
    const r = await runCli(['doctor', 'http://127.0.0.1:1/mcp', '--login', 'auto']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/nothing is listening on 127\.0\.0\.1:1 — is the server running\?/);
    expect(r.stdout).not.toMatch(/RFC 9728 metadata|Serve RFC 9728|protected-resource metadata as/);
    expect(r.stdout).not.toMatch(/ECONNREFUSED/);
  });
  it('a host that does not resolve: names the host', async () => {
    const r = await runCli(['doctor', 'https://no-such-host.invalid/mcp', '--login', 'auto', '--allow-private-network']);
    expect(r.stdout).toMatch(/no-such-host\.invalid does not resolve/);
  });
  it('callbacks with a bad API host: names the host and the variable, at once (no retries)', async () => {
    const t = Date.now();
    const r = await runCli(['callbacks', 'list', '--provider', 'clerk', '--app', 'x'], { env: { CLERK_SECRET_KEY: 'sk_test_x', CLERK_API_URL: 'https://no-such-host.invalid' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-host\.invalid does not resolve .*CLERK_API_URL/);
    expect(Date.now() - t).toBeLessThan(4000);
  });
});

describe('5. a web page is not an MCP endpoint', () => {
  it('leads with it, instead of "accepted an unauthenticated initialize"', async () => {
    const toy = await startToy({ spa: true });
    try {
      const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto']);
      expect(r.stdout).toMatch(/Fix first: resource\.challenge — .* serves an HTML page \(200 text\/html; charset=utf-8\), not an MCP endpoint — usually a single-page-app fallback route or a wrong path/);
      expect(r.stdout).not.toMatch(/accepted an unauthenticated initialize/);
    } finally {
      await toy.close();
    }
  });
});

describe('9. the sandbox command', () => {
  it('a busy --port is a usage error naming --port', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['sandbox', '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`--port ${port}: that port on 127\\.0\\.0\\.1 is already in use`));
      expect(r.stderr).not.toMatch(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
  it('logs each request on stderr and prints an actions command that runs as is', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    try {
      const cmd = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(out)), 15_000);
        const check = () => { const m = /GPT_OAUTH_CLIENT_SECRET=(\S+) (?:npx gpt-oauth\S*|gpt-oauth|node \S+) (doctor --target actions .+)/.exec(out); if (m) { clearTimeout(t); resolve(m[0]); } else setTimeout(check, 50); };
        check();
      });
      const [, secret, rest] = /GPT_OAUTH_CLIENT_SECRET=(\S+) (?:npx gpt-oauth\S*|gpt-oauth|node \S+) (.+)/.exec(cmd)!;
      const r = await runCli(rest!.split(' '), { env: { GPT_OAUTH_CLIENT_SECRET: secret } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(err).toMatch(/POST \/token → 200 \(\d+ ms\)/);
    } finally {
      child.kill('SIGINT');
    }
  });
});

describe('10. help and errors', () => {
  for (const cmd of ['doctor', 'init', 'callbacks', 'sandbox']) {
    it(`${cmd} --help shows the global flags and two examples`, async () => {
      const r = await runCli([cmd, '--help']);
      expect(r.stdout).toMatch(/Global Options:[\s\S]*--json/);
      const examples = r.stdout.split('Examples:')[1] ?? '';
      expect(examples.match(/^ {2}\$ /gm)?.length).toBe(2);
    });
  }
  it('doctor --help shows defaults', async () => {
    expect((await runCli(['doctor', '--help'])).stdout).toMatch(/--timeout <duration>[\s\S]*\(default:\s+"10000"\)[\s\S]*--deadline <duration>[\s\S]*\(default:\s+"600"\)/);
  });
  it('a cancel prints "Nothing changed." without "Error:" and exits 130', () => {
    let err = '';
    const io = { ...createIO({}, { stdout: process.stdout, stderr: process.stderr, stdin: {}, env: {} }), stderr: { write: (s: string) => { err += s; return true; } } } as never;
    expect(reportError(io, new CancelledError('Nothing changed.'))).toBe(130);
    expect(err).toBe('Nothing changed.\n');
  });
});

describe('7. init without a terminal names everything missing at once, and warns about local URLs', () => {
  it('all missing flags and variables in one message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-init-missing-'));
    const r = await runCli(['init', '--provider', 'clerk', '--target', 'both'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing CLERK_SECRET_KEY, --yes, --mcp-url URL, --api-url URL/);
  });
  it('a loopback MCP URL gets the "ChatGPT cannot reach it" warning', async () => {
    const toy = await startToy({});
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-init-local-'));
    try {
      const r = await runCli(['init', '--provider', 'custom', '--target', 'apps', '--mcp-url', toy.mcpUrl, '--no-doctor', '--no-open', '--templates', 'none'], { cwd: dir, env: { GPT_OAUTH_CONFIG_DIR: join(dir, 'cfg') } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/ChatGPT connects from OpenAI's servers and cannot reach 127\.0\.0\.1 — use a tunnel or a deployed URL/);
    } finally {
      await toy.close();
    }
  });
});

describe('5. say what a server is when it is not what the user thinks', () => {
  const plain = async (handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) => {
    const { createServer } = await import('node:http');
    const s = createServer(handler);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return { port: (s.address() as { port: number }).port, close: () => new Promise<void>((r) => s.close(() => r())) };
  };
  it('https:// to a port that speaks plain HTTP: "speaks plain HTTP, not TLS — use http://", not a certificate problem', async () => {
    const s = await plain((_q, res) => { res.writeHead(404); res.end('nope'); });
    try {
      const r = await runCli(['doctor', `https://127.0.0.1:${s.port}/mcp`, '--login', 'auto']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`✗ ChatGPT would fail: 1 problem — 127\\.0\\.0\\.1:${s.port} speaks plain HTTP, not TLS \\(ERR_SSL_[A-Z_]+\\) — use http:// for it, or turn TLS on at the server`));
      expect(r.stdout).not.toMatch(/certificate is not trusted|Serve a certificate/);
    } finally { await s.close(); }
  });
  it('a static web server (501 to POST, HTML everywhere): "not an MCP endpoint", and what an MCP URL looks like', async () => {
    const s = await plain((req, res) => {
      res.writeHead(req.method === 'GET' ? 404 : 501, { 'content-type': 'text/html' });
      res.end('<html><body>Unsupported method</body></html>');
    });
    try {
      const r = await runCli(['doctor', `http://127.0.0.1:${s.port}/mcp`, '--login', 'auto', '--json']);
      const c = JSON.parse(r.stdout).checks.find((x: { id: string }) => x.id === 'resource.challenge');
      expect(c.detail).toMatch(/is not an MCP endpoint: POST without a token got 501 text\/html, no JSON-RPC answer/);
      expect(c.fix).toMatch(/usually https:\/\/<host>\/mcp/);
    } finally { await s.close(); }
  });
  it('a URL without a scheme: says the scheme is missing (exit 2, before any request)', async () => {
    const r = await runCli(['doctor', 'localhost:8080/mcp', '--login', 'auto']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"localhost:8080\/mcp" has no scheme: did you mean http:\/\/localhost:8080\/mcp\?\nA server on this machine takes http:\/\/ \(or https:\/\/ if it serves TLS\)/);
  });
});

describe('11. a server on this machine passes, with a note that ChatGPT cannot reach it yet', () => {
  it('doctor http://127.0.0.1…: the note on stderr; --sandbox: none', async () => {
    const toy = await startToy();
    try {
      const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/✓ ChatGPT can connect/);
      expect(r.stderr).toMatch(/Note: 127\.0\.0\.1:\d+ is this machine\. ChatGPT connects from OpenAI's servers, so it could connect once this server is reachable from the internet over https/);
    } finally {
      await toy.close();
    }
    expect((await runCli(['doctor', '--sandbox', '--login', 'auto'])).stderr).not.toMatch(/is this machine/);
  });
});

describe('11. smaller manners', () => {
  it('a misspelt callbacks action gets a suggestion; every error starts with "Error:"', async () => {
    const lst = await runCli(['callbacks', 'lst']);
    expect(lst.code).toBe(2);
    expect(lst.stderr).toMatch(/^Error: unknown action "lst" — did you mean list\?/);
    const cmd = await runCli(['doctr']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/^Error: unknown command 'doctr'\n\(Did you mean doctor\?\)/);
    const opt = await runCli(['doctor', '--onlyy', 'x']);
    expect(opt.stderr).toMatch(/^Error: unknown option '--onlyy'/);
  });
  it('doctor --target actions names every missing input at once (exit 2, before any request)', async () => {
    const r = await runCli(['doctor', '--target', 'actions'], { cwd: mkdtempSync(join(tmpdir(), 'gpt-oauth-missing-')) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--target actions is missing 4 inputs:\n {2}--gpt-id g-…[^\n]*\n {2}--auth-url[^\n]*\n {2}--client-id[^\n]*\n {2}the client secret: set GPT_OAUTH_CLIENT_SECRET/);
  });
  it('sandbox --json carries the GPT client secret its banner prints (the sandbox\'s own test value)', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        const t = setTimeout(() => reject(new Error(out)), 15_000);
        child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) { clearTimeout(t); resolve(out.split('\n')[0]!); } });
      });
      const info = JSON.parse(line);
      expect(info.gptAction.clientSecret).toEqual(expect.any(String));
      expect(info.gptAction.clientSecret.length).toBeGreaterThan(10);
    } finally {
      child.kill('SIGINT');
    }
  });
});

describe('11. callbacks in a sandbox or custom project', () => {
  it('callbacks list after init --provider sandbox lists the sandbox client\'s callbacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-cb-'));
    const env = { GPT_OAUTH_CONFIG_DIR: dir, GPT_OAUTH_SECRET_BACKEND: 'file' };
    expect((await runCli(['init', '--provider', 'sandbox', '--target', 'actions', '--no-doctor', '--templates', 'none', '--no-open'], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['callbacks', 'list'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/The sandbox's GPT client \(GPT g-gptoauthsandbox\) accepts:\n {2}https:\/\/chatgpt\.com\/aip\/g-gptoauthsandbox\/oauth\/callback/);
  });
});
