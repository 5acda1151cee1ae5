/**
 * The GitHub Action (action.yml) run step by step by a local runner (test/helpers/action-runner.ts)
 * against the sandbox and a broken toy server — this checkout as the gpt-oauth-cli it runs, no
 * network. A stand-in `npx` on PATH records the command line where the test is about what the
 * action passes (secrets, argument splitting, the default version).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionRoot, readAction, runAction } from './helpers/action-runner.js';
import { startSandbox } from '../src/index.js';
import { startToy, type Toy } from './helpers/toy-server.js';

const pkg = JSON.parse(readFileSync(join(actionRoot, 'package.json'), 'utf8')) as { version: string };
const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: process.env.npm_config_cache, NO_COLOR: '1' };

describe('action.yml, run as GitHub runs a composite action', () => {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let toy: Toy;
  beforeAll(async () => { [sandbox, toy] = await Promise.all([startSandbox(), startToy({ rs: { acceptGarbage: true } })]); });
  afterAll(async () => { await Promise.all([sandbox?.close(), toy?.close()]); });

  it('declares the inputs and outputs of the contract, and every input reaches the script through env', () => {
    const a = readAction();
    expect(Object.keys(a.inputs).sort()).toEqual(['args', 'baseline', 'client-id', 'client-secret', 'fail-on', 'junit', 'login', 'login-command', 'refresh-token', 'report', 'target', 'url', 'version']);
    expect(Object.keys(a.outputs).sort()).toEqual(['regressions', 'regressions-chatgpt', 'regressions-security', 'report-path', 'verdict-chatgpt', 'verdict-security']);
    expect(a.inputs.login!.default).toBe('auto');
    // No ${{ }} in a script (the runner refuses it too): inputs are data, never shell text.
    for (const s of a.runs.steps) if (s.run) expect(s.run).not.toMatch(/\$\{\{/);
  });

  it('passes on the sandbox: exit 0, the outputs, the reports and the job summary', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'gpt-oauth-ws-'));
    const r = await runAction({ workspace: ws, env: baseEnv, inputs: { url: sandbox.url, version: actionRoot } });
    expect(r.exitCode, r.log).toBe(0);
    expect(r.outputs).toEqual({ 'verdict-chatgpt': 'pass', 'verdict-security': 'pass', regressions: '0', 'regressions-chatgpt': '0', 'regressions-security': '0', 'report-path': 'gpt-oauth-report.md' });
    expect(readFileSync(join(ws, 'gpt-oauth-report.md'), 'utf8')).toMatch(/ChatGPT can connect/);
    expect(readFileSync(join(ws, 'gpt-oauth-junit.xml'), 'utf8')).toMatch(/<testsuite/);
    expect(r.summary).toMatch(/sequenceDiagram/);
    expect(r.log).toMatch(/✓ ChatGPT can connect/);
    // Node 20.19+ is on PATH: setup-node is skipped.
    expect(r.used).toEqual([]);
    expect(r.skipped).toEqual(['Set up Node']);
  }, 180_000);

  it('fails on a security failure with an annotation; fail-on chatgpt lets it pass and still reports it', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'gpt-oauth-ws-'));
    const all = await runAction({ workspace: ws, env: baseEnv, inputs: { url: toy.mcpUrl, version: actionRoot, junit: '' } });
    expect(all.exitCode, all.log).toBe(1);
    expect(all.outputs['verdict-chatgpt']).toBe('pass');
    expect(all.outputs['verdict-security']).toBe('fail');
    expect(all.log).toMatch(/::error .*resource\.rejects-invalid-token/);
    expect(existsSync(join(ws, 'gpt-oauth-junit.xml'))).toBe(false);

    const gate = await runAction({ workspace: ws, env: baseEnv, inputs: { url: toy.mcpUrl, version: actionRoot, 'fail-on': 'chatgpt', report: 'out/doctor.md', args: '--only resource.' } });
    expect(gate.exitCode, gate.log).toBe(0);
    // --only resource.: the selected ChatGPT checks pass, which is no verdict on the whole connection.
    expect(gate.outputs).toEqual({ 'verdict-chatgpt': 'partial', 'verdict-security': 'fail', regressions: '1', 'regressions-chatgpt': '0', 'regressions-security': '1', 'report-path': 'out/doctor.md' });
    const gateMd = readFileSync(join(ws, 'out/doctor.md'), 'utf8');
    expect(gateMd).toMatch(/rejects-invalid-token/);
    expect(gateMd).toMatch(/☑️ The \d+ selected ChatGPT checks pass — not a verdict on the whole connection \\\(--only resource\.\\\)/);
    expect(gate.summary).not.toMatch(/ChatGPT can connect/);
  }, 180_000);
});

/**
 * The README's follow-up step after the action (`if: always() && …`), evaluated as GitHub does
 * for the forms it may use: `steps.doctor.outputs.X == 'v'` / `!= 'v'`, and `> N` (the output
 * converted to a number, an empty one 0).
 */
function readmeFollowUp(): (outputs: Record<string, string>) => boolean {
  const readme = readFileSync(join(actionRoot, 'README.md'), 'utf8');
  const cond = /^\s*- if: always\(\) && (steps\.doctor\.outputs\..+)$/m.exec(readme)?.[1];
  if (!cond) throw new Error('the README has no follow-up step reading steps.doctor.outputs');
  const m = /^steps\.doctor\.outputs\.([\w-]+) (==|!=|>) (?:'([^']*)'|(\d+))$/.exec(cond.trim());
  if (!m) throw new Error(`the test does not understand the README's condition ${cond}`);
  const [, name, op, str, num] = m;
  expect(Object.keys(readAction().outputs)).toContain(name);
  return (outputs) => {
    const v = outputs[name!] ?? '';
    return op === '>' ? Number(v || 0) > Number(num) : (v === str) === (op === '==');
  };
}

describe('with a baseline, the outputs let CI fail only on regressions (the README\'s recipe)', () => {
  it('a ChatGPT failure the baseline accepts: exit 0, verdict-chatgpt still fail, 0 regressions, the follow-up step does not fail the job; without the baseline it does', async () => {
    const broken = await startToy({ dropMeta: ['code_challenge_methods_supported'] });
    try {
      const followUp = readmeFollowUp();
      const ws = mkdtempSync(join(tmpdir(), 'gpt-oauth-ws-'));
      writeFileSync(join(ws, '.gpt-oauth-baseline.yaml'), 'accepted:\n  - id: as.pkce-s256\n    reason: known, fixed next sprint\n');
      const known = await runAction({ workspace: ws, env: baseEnv, inputs: { url: broken.mcpUrl, version: actionRoot, junit: '' } });
      expect(known.exitCode, known.log).toBe(0);
      // The verdict describes the server: an accepted failure is still a failure.
      expect(known.outputs).toMatchObject({ 'verdict-chatgpt': 'fail', regressions: '0', 'regressions-chatgpt': '0', 'regressions-security': '0' });
      expect(known.log).toMatch(/no regression/);
      expect(followUp(known.outputs)).toBe(false);

      const ws2 = mkdtempSync(join(tmpdir(), 'gpt-oauth-ws-'));
      const fresh = await runAction({ workspace: ws2, env: baseEnv, inputs: { url: broken.mcpUrl, version: actionRoot, junit: '' } });
      expect(fresh.exitCode, fresh.log).toBe(1);
      expect(fresh.outputs).toMatchObject({ 'verdict-chatgpt': 'fail', regressions: '1', 'regressions-chatgpt': '1', 'regressions-security': '0' });
      expect(followUp(fresh.outputs)).toBe(true);
    } finally {
      await broken.close();
    }
  }, 180_000);
});

describe('action.yml: what it passes to the doctor', () => {
  /** A stand-in npx that records its arguments and the secrets' presence in its environment. */
  function fakeNpx(): { bin: string; calls: () => { argv: string[]; secret?: string; refresh?: string }[] } {
    const dir = mkdtempSync(join(tmpdir(), 'fake-npx-'));
    const log = join(dir, 'calls.jsonl');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'npx'), `#!/usr/bin/env node
require('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), secret: process.env.GPT_OAUTH_CLIENT_SECRET, refresh: process.env.GPT_OAUTH_REFRESH_TOKEN }) + '\\n');
`);
    chmodSync(join(dir, 'bin', 'npx'), 0o755);
    return { bin: join(dir, 'bin'), calls: () => existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [] };
  }
  const secret = 'cs_action-SECRET-9f2a';
  const refresh = 'rt-first-line-7c1e\nrt-second-line-44aa';

  it('masks the secrets first, passes them through the environment only, and never evaluates args', async () => {
    const npx = fakeNpx();
    const ws = mkdtempSync(join(tmpdir(), 'gpt-oauth-ws-'));
    const r = await runAction({
      workspace: ws,
      env: { ...baseEnv, PATH: `${npx.bin}:${process.env.PATH}` },
      inputs: {
        url: 'https://mcp.example.com/mcp', 'client-id': 'client-1', 'client-secret': secret, 'refresh-token': refresh,
        args: '--only token.  $(touch pwned) ;id `id`',
      },
    });
    expect(r.exitCode, r.log).toBe(0);
    const [call] = npx.calls();
    expect(call!.argv).toEqual([
      '--yes', `gpt-oauth-cli@${pkg.version}`, 'doctor', 'https://mcp.example.com/mcp', '--target', 'apps', '--fail-on', 'all',
      '--refresh-token-env', 'GPT_OAUTH_REFRESH_TOKEN', '--client-id', 'client-1', '--report', 'gpt-oauth-report.md', '--junit', 'gpt-oauth-junit.xml',
      '--only', 'token.', '$(touch', 'pwned)', ';id', '`id`',
    ]);
    expect(call!.secret).toBe(secret);
    expect(call!.refresh).toBe(refresh);
    expect(existsSync(join(ws, 'pwned'))).toBe(false);
    // The mask commands come before any other output, one per line of a multi-line secret.
    expect(r.raw.split('\n').slice(0, 3)).toEqual([`::add-mask::${secret}`, '::add-mask::rt-first-line-7c1e', '::add-mask::rt-second-line-44aa']);
    for (const s of [secret, 'rt-first-line-7c1e', 'rt-second-line-44aa']) expect(r.log).not.toContain(s);
  });

  it('sets up Node when the runner\'s is older than 20.19', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'old-node-'));
    // An old node first on PATH (it fails the version test), and an npx that only records.
    writeFileSync(join(dir, 'node'), '#!/bin/sh\n[ "$1" = --version ] && echo v18.20.4\nexit 1\n');
    writeFileSync(join(dir, 'npx'), `#!/bin/sh\necho "$@" > '${join(dir, 'argv')}'\n`);
    chmodSync(join(dir, 'node'), 0o755);
    chmodSync(join(dir, 'npx'), 0o755);
    const r = await runAction({ env: { ...baseEnv, PATH: `${dir}:${process.env.PATH}` }, inputs: { url: 'https://mcp.example.com/mcp', version: '1.2.3' } });
    expect(r.exitCode, r.log).toBe(0);
    expect(r.used).toEqual(['actions/setup-node@v4']);
    expect(r.skipped).toEqual([]);
    expect(readFileSync(join(dir, 'argv'), 'utf8')).toMatch(/^--yes gpt-oauth-cli@1\.2\.3 doctor https:\/\/mcp\.example\.com\/mcp /);
  });

  it('a baseline in the workspace is used; a refresh token without its client id stops before the doctor', async () => {
    const npx = fakeNpx();
    const ws = mkdtempSync(join(tmpdir(), 'gpt-oauth-ws-'));
    writeFileSync(join(ws, '.gpt-oauth-baseline.yaml'), 'accepted: []\n');
    const ok = await runAction({ workspace: ws, env: { ...baseEnv, PATH: `${npx.bin}:${process.env.PATH}` }, inputs: { url: 'https://mcp.example.com/mcp', login: 'command', 'login-command': 'node login.mjs --user "a b"', version: '9.9.9' } });
    expect(ok.exitCode).toBe(0);
    expect(npx.calls()[0]!.argv).toEqual(expect.arrayContaining(['gpt-oauth-cli@9.9.9', '--login', 'command', '--login-command', 'node login.mjs --user "a b"', '--baseline', '.gpt-oauth-baseline.yaml']));

    const bad = await runAction({ workspace: ws, env: { ...baseEnv, PATH: `${npx.bin}:${process.env.PATH}` }, inputs: { url: 'https://mcp.example.com/mcp', 'refresh-token': 'rt-x' } });
    expect(bad.exitCode).toBe(2);
    expect(bad.log).toMatch(/::error title=gpt-oauth::the refresh-token input needs client-id/);
    expect(npx.calls()).toHaveLength(1);
  });
});
