/** The real interactive `init` in a terminal (tmux), against the Clerk fake. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { freePort } from './helpers/free-port.js';
import { exitCodeFrom, hasTmux, Terminal } from './helpers/tmux.js';
import { startClerkFake, CLERK_KEY } from './helpers/fakes/clerk.js';
import type { ProviderFake } from './helpers/provider-fake.js';

let term: Terminal | undefined;
let fake: ProviderFake | undefined;
afterEach(async () => { term?.kill(); await fake?.close(); term = undefined; fake = undefined; });

function start(dir: string, env: Record<string, string>): { term: Terminal; exitFile: string } {
  const exitFile = join(dir, 'exit-code');
  const vars = Object.entries({ GPT_OAUTH_CONFIG_DIR: join(dir, '.config'), GPT_OAUTH_SECRET_BACKEND: 'file', TERM: 'xterm-256color', ...env }).map(([k, v]) => `${k}='${v}'`).join(' ');
  // CI is unset so the program sees an interactive terminal, as a person would run it.
  const cmd = `env -u CI -u GPT_OAUTH_NO_INPUT ${vars} '${process.execPath}' '${BIN}' init --no-open; echo $? > '${exitFile}'; sleep 30`;
  return { term: new Terminal(cmd, dir), exitFile };
}


/** The last two questions answered no (no template, no doctor run); init then exits 0. */
async function endWithoutTemplatesOrDoctor(t: Terminal, exitFile: string): Promise<void> {
  await t.waitFor(/Write any of these files\?/);
  t.keys('Enter'); // none
  await t.waitFor(/Run gpt-oauth doctor now\?/);
  t.type('n');
  t.keys('Enter');
  expect(await exitCodeFrom(exitFile, 15_000)).toBe(0);
}

describe.skipIf(!hasTmux)('init, interactive (tmux)', () => {
  it('says in one line each what a GPT Action and a ChatGPT App are; the lists do not wrap around', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-'));
    const s = start(dir, {});
    term = s.term;
    const first = await term.waitFor(/What are you connecting to ChatGPT\?/);
    expect(first).toMatch(/^A GPT Action: a custom GPT you build in ChatGPT calls your REST API .*$/m);
    expect(first).toMatch(/^A ChatGPT App \(MCP connector\): ChatGPT calls the tools of your MCP server .*$/m);
    term.keys('Enter');
    await term.waitFor(/Which OAuth provider\?/);
    // Up on the first choice stays on it (it went round to the last one, Privy).
    term.keys('Up');
    await new Promise((r) => setTimeout(r, 300));
    expect(term.visible()).toMatch(/❯ Clerk/);
    expect(term.visible()).not.toMatch(/❯ Privy/);
  });

  it('answers every prompt, shows spinners finishing, and ends with the remote app and the project file', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-'));
    const s = start(dir, { CLERK_API_URL: f.env.CLERK_API_URL! });
    term = s.term;
    await term.waitFor(/What are you connecting to ChatGPT\?/);
    term.keys('Enter'); // A custom GPT with an OAuth Action
    await term.waitFor(/Which OAuth provider\?/);
    term.keys('Enter'); // Clerk
    await term.waitFor(/Clerk secret key/);
    term.type(CLERK_KEY);
    expect(term.screen()).not.toContain(CLERK_KEY); // masked input
    term.keys('Enter');
    await term.waitFor(/API URL of the action/);
    term.type('https://api.todo.example/me');
    term.keys('Enter');
    await term.waitFor(/GPT id/);
    term.type('g-AbC123xyz');
    term.keys('Enter');
    await term.waitFor(/Go ahead\?/);
    expect(term.screen()).toMatch(/create \(or reuse, if one has this name\) the OAuth app/);
    term.keys('Enter');
    await endWithoutTemplatesOrDoctor(s.term, s.exitFile);
    const screen = term.screen();
    expect(screen).toMatch(/✔ .*Created the OAuth app ChatGPT api\.todo\.example/);
    expect(screen).toMatch(/✔ .*Checking the clerk credentials|✔ Clerk instance/);
    expect(screen).toMatch(/Paste into the GPT editor/);
    const apps = [...f.state.apps.values()];
    expect(apps).toHaveLength(1);
    expect(apps[0]!.redirect_uris).toEqual(['https://chatgpt.com/aip/g-AbC123xyz/oauth/callback', 'https://chat.openai.com/aip/g-AbC123xyz/oauth/callback']);
    expect(readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8')).toMatch(/provider: clerk/);
    for (const secret of [CLERK_KEY, String(apps[0]!.client_secret)]) {
      expect(screen).not.toContain(secret);
      expect(readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8')).not.toContain(secret);
    }
  });

  it('Ctrl-C at a prompt exits 130 and leaves no project file and no remote app', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-'));
    const s = start(dir, f.env);
    term = s.term;
    await term.waitFor(/What are you connecting to ChatGPT\?/);
    term.keys('Enter');
    await term.waitFor(/Which OAuth provider\?/);
    term.keys('Enter');
    await term.waitFor(/API URL of the action/);
    term.keys('C-c');
    expect(await exitCodeFrom(s.exitFile, 15_000)).toBe(130);
    expect(existsSync(join(dir, 'gpt-oauth.yaml'))).toBe(false);
    expect(f.state.apps.size).toBe(0);
  });
});

describe.skipIf(!hasTmux)('re-running init interactively', () => {
  it('offers to update the existing set-up, keeps its answers and converges to the same app', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-'));
    const env = { ...f.env };
    // A first set-up, non-interactively.
    const { runCli } = await import('./helpers/cli.js');
    const done = await runCli(['init', '--target', 'actions', '--provider', 'clerk', '--api-url', 'https://api.todo.example/me', '--gpt-id', 'g-AbC123xyz', '--yes', '--no-doctor', '--no-open'],
      { env: { ...env, GPT_OAUTH_CONFIG_DIR: join(dir, '.config'), GPT_OAUTH_SECRET_BACKEND: 'file' }, cwd: dir });
    expect(done.code, done.stderr).toBe(0);
    // Then interactively: the existing file is offered for update; no question already answered is asked again.
    const s = start(dir, env);
    term = s.term;
    await term.waitFor(/already describes a set-up \(actions on clerk\)\. What now\?/);
    expect(term.screen()).toMatch(/Update it/);
    term.keys('Enter');
    await term.waitFor(/Go ahead\?/);
    expect(term.screen()).not.toMatch(/What are you connecting|Which OAuth provider|API URL of the action/);
    term.keys('Enter');
    await endWithoutTemplatesOrDoctor(s.term, s.exitFile);
    expect(term.screen()).toMatch(/Reused the OAuth app/);
    expect(f.state.apps.size).toBe(1);
  });
});

describe.skipIf(!hasTmux)('init --provider custom at a terminal', () => {
  it('asks for the GPT Action\'s client id, marks failed discovery ✗ (the spinner ends without ✔), and still writes the project file', async () => {
    const port = await freePort(); // nothing listens there
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-'));
    const s = start(dir, {});
    term = s.term;
    await term.waitFor(/What are you connecting to ChatGPT\?/);
    term.keys('Down', 'Down', 'Enter'); // Both
    await term.waitFor(/Which OAuth provider\?/);
    term.keys('Down', 'Down', 'Down', 'Down', 'Enter'); // My own authorization server (custom)
    await term.waitFor(/MCP server URL/);
    term.type(`http://127.0.0.1:${port}/mcp`);
    term.keys('Enter');
    await term.waitFor(/API URL of the action/);
    term.type(`http://127.0.0.1:${port}/api/me`);
    term.keys('Enter');
    await term.waitFor(/Client id of the GPT Action's client on your server/);
    term.type('my-gpt-client');
    term.keys('Enter');
    await term.waitFor(/GPT id/);
    term.keys('Enter'); // later
    await endWithoutTemplatesOrDoctor(s.term, s.exitFile);
    const screen = term.screen();
    expect(screen).toMatch(/✗ Discovery: 0 passed, 1 failed, 0 warnings/);
    expect(screen).not.toMatch(/✔ Discovery/);
    expect(screen).toMatch(/Client ID +my-gpt-client/);
    expect(screen).toMatch(/Still to do:/);
    expect(readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8')).toMatch(/clientId: my-gpt-client/);
  });
});
