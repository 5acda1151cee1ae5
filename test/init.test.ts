/** `gpt-oauth init` without a terminal: flags only, against the provider fakes and the sandbox. */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './helpers/cli.js';
import { freePort } from './helpers/free-port.js';
import { startClerkFake } from './helpers/fakes/clerk.js';
import { startSupabaseFake } from './helpers/fakes/supabase.js';
import type { ProviderFake } from './helpers/provider-fake.js';
import { parseProject } from '../src/project.js';
import { SANDBOX_PASSED } from './helpers/report-schema.js';

let fake: ProviderFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

function workdir() {
  const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-init-'));
  return { dir, configDir: join(dir, '.config') };
}
const inDir = (dir: string, configDir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> =>
  runCli(['--config', join(dir, 'gpt-oauth.yaml'), ...args, ...(args[0] === 'init' ? ['--no-open'] : [])], { env: { GPT_OAUTH_CONFIG_DIR: configDir, GPT_OAUTH_SECRET_BACKEND: 'file', ...env }, cwd: dir });

describe('init, non-interactive', () => {
  it('a reused app whose secret nobody has: exit 1 naming --rotate-secret, then --rotate-secret issues and stores one', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const { dir, configDir } = workdir();
    const args = ['init', '--target', 'actions', '--provider', 'clerk', '--api-url', 'https://api.todo.example/me', '--gpt-id', 'g-AbC123xyz', '--yes', '--templates', 'none', '--no-doctor'];
    expect((await inDir(dir, configDir, args, f.env)).code).toBe(0);
    // The secret is lost (as when a create committed but its answer never arrived).
    const { rmSync } = await import('node:fs');
    rmSync(join(configDir, 'secrets.json'));
    const again = await inDir(dir, configDir, args, f.env);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toMatch(/no one has its client secret/);
    expect(again.stderr).toMatch(/--rotate-secret/);
    const rotated = await inDir(dir, configDir, [...args, '--rotate-secret'], f.env);
    expect(rotated.code, rotated.stderr).toBe(0);
    const app = [...f.state.apps.values()][0]!;
    expect(f.state.apps.size).toBe(1);
    expect(readFileSync(join(configDir, 'secrets.json'), 'utf8')).toContain(String(app.client_secret));
    expect(rotated.stdout + rotated.stderr).not.toContain(String(app.client_secret));
  });

  it('--json prints one result object on Clerk: the app, what changed, what to paste, a masked secret', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['--json', 'init', '--target', 'actions', '--provider', 'clerk', '--api-url', 'https://api.todo.example/me', '--gpt-id', 'g-AbC123xyz', '--yes', '--templates', 'none', '--no-doctor'], f.env);
    expect(r.code, r.stderr).toBe(0);
    const app = [...f.state.apps.values()][0]!;
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      provider: 'clerk', target: 'actions',
      app: { clientId: app.client_id, created: true },
      paste: { gptEditor: { clientId: app.client_id, tokenExchangeMethod: 'Default (POST request)' } },
      clientSecret: { storedIn: expect.stringMatching(/secrets\.json/) },
    });
    expect(Array.isArray(j.changes)).toBe(true);
    expect(r.stdout).not.toContain(String(app.client_secret));
    expect(r.stdout).not.toMatch(/Paste into the GPT editor/);
  });

  it('provisions a GPT Action on Clerk from flags, stores the secret 0600, writes the project file and templates', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['init', '--target', 'actions', '--provider', 'clerk', '--api-url', 'https://api.todo.example/me', '--gpt-id', 'g-AbC123xyz', '--yes', '--templates', 'all', '--no-doctor'], f.env);
    expect(r.code, r.stderr).toBe(0);
    // Remote state: one app with both GPT callbacks, PKCE not required (GPT Actions send none).
    const apps = [...f.state.apps.values()];
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ name: 'ChatGPT api.todo.example', pkce_required: false, redirect_uris: ['https://chatgpt.com/aip/g-AbC123xyz/oauth/callback', 'https://chat.openai.com/aip/g-AbC123xyz/oauth/callback'] });
    const secret = String(apps[0]!.client_secret);
    // The project file: no secrets, loads back.
    const yaml = readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8');
    expect(yaml).not.toContain(secret);
    const p = await parseProject(yaml, 'gpt-oauth.yaml');
    expect(p).toMatchObject({ target: 'actions', provider: 'clerk', gptId: 'g-AbC123xyz', app: { clientId: apps[0]!.client_id }, authUrl: 'https://clean-fox-42.clerk.accounts.dev/oauth/authorize' });
    // The secret: in a 0600 file, never printed, never in templates.
    const store = join(configDir, 'secrets.json');
    expect(statSync(store).mode & 0o777).toBe(0o600);
    expect(readFileSync(store, 'utf8')).toContain(secret);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stderr).toMatch(/Stored the client secret in .*secrets\.json \(mode 0600\)/);
    expect(r.stdout).toMatch(/Paste into the GPT editor/);
    expect(r.stdout).toMatch(/Token Exchange Method\s+Default \(POST request\)/);
    for (const file of ['.github/workflows/chatgpt-oauth.yml', 'gpt-oauth.openapi-security.yaml', '.env.example']) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text).not.toContain(secret);
      expect(text).not.toMatch(/\{\{\w+\}\}/);
    }
    const workflow = readFileSync(join(dir, '.github/workflows/chatgpt-oauth.yml'), 'utf8');
    const { parse } = await import('yaml');
    const wsteps = parse(workflow).jobs.doctor.steps as { uses?: string; with?: Record<string, string> }[];
    expect(wsteps).toHaveLength(3);
    expect(wsteps[1]).toEqual({
      name: 'gpt-oauth doctor (actions)', id: 'doctor', uses: 'gpt-oauth/gpt-oauth@v0',
      with: { target: 'actions', 'client-secret': '${{ secrets.GPT_OAUTH_CLIENT_SECRET }}', report: 'gpt-oauth-report.md', junit: 'gpt-oauth-junit.xml', args: '--trace gpt-oauth-trace.har' },
    });
    expect(readFileSync(join(dir, 'gpt-oauth.openapi-security.yaml'), 'utf8')).toContain('tokenUrl: https://clean-fox-42.clerk.accounts.dev/oauth/token');

    // Re-running converges: same single app, no new secret, templates untouched.
    const again = await inDir(dir, configDir, ['init', '--yes', '--templates', 'all', '--no-doctor'], f.env);
    expect(again.code, again.stderr).toBe(0);
    expect(f.state.apps.size).toBe(1);
    expect(again.stderr).toMatch(/Reused the OAuth app/);
    expect(again.stderr).toMatch(/is up to date/);

    // callbacks reads provider and app from the project file.
    const cb = await inDir(dir, configDir, ['callbacks', 'add', '--url', 'https://chatgpt.com/aip/g-Other12345/oauth/callback'], f.env);
    expect(cb.code, cb.stderr).toBe(0);
    expect(apps[0]!.redirect_uris).toHaveLength(3);
  });

  it('GPT id later: callbacks add --gpt-id registers the callbacks and completes the project file', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const { dir, configDir } = workdir();
    const init = await inDir(dir, configDir, ['init', '--target', 'actions', '--provider', 'clerk', '--api-url', 'https://api.todo.example/me', '--yes', '--no-doctor'], f.env);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/(?:npx gpt-oauth|node \S+) callbacks add --gpt-id g-/);
    expect([...f.state.apps.values()][0]!.redirect_uris).toEqual([]);
    const cb = await inDir(dir, configDir, ['callbacks', 'add', '--gpt-id', 'g-AbC123xyz-todo'], f.env);
    expect(cb.code, cb.stderr).toBe(0);
    expect(cb.stderr).toMatch(/Recorded the GPT id/);
    expect([...f.state.apps.values()][0]!.redirect_uris).toEqual(['https://chatgpt.com/aip/g-AbC123xyz/oauth/callback', 'https://chat.openai.com/aip/g-AbC123xyz/oauth/callback']);
    expect((await parseProject(readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8'), 'x')).gptId).toBe('g-AbC123xyz');
  });

  it('on a CI runner the new client secret is still stored (never dropped, never printed) and the user is told to move it', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['init', '--target', 'actions', '--provider', 'clerk', '--api-url', 'https://api.todo.example/me', '--gpt-id', 'g-AbC123xyz', '--yes', '--no-doctor'], { ...f.env, CI: 'true' });
    expect(r.code, r.stderr).toBe(0);
    const secret = String([...f.state.apps.values()][0]!.client_secret);
    expect(readFileSync(join(configDir, 'secrets.json'), 'utf8')).toContain(secret);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stderr).toMatch(/CI runner.*CI secret store as GPT_OAUTH_CLIENT_SECRET/);
  });

  it('into an empty folder: each file is written once, and none is said to exist and differ', async () => {
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['init', '--provider', 'sandbox', '--target', 'apps', '--templates', 'all', '--no-doctor', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['.github/workflows/chatgpt-oauth.yml', '.env.example']) {
      expect(r.stderr.split('\n').filter((l) => l.endsWith(f) && l.startsWith('✔ Wrote'))).toHaveLength(1);
      expect(existsSync(join(dir, f))).toBe(true);
    }
    expect(r.stderr).not.toMatch(/exists and differs|undefined/);
  });

  it('never overwrites a changed template without --force; shows the diff instead', async () => {
    const { dir, configDir } = workdir();
    expect((await inDir(dir, configDir, ['init', '--provider', 'sandbox', '--target', 'apps', '--templates', 'env-example', '--no-doctor'])).code).toBe(0);
    writeFileSync(join(dir, '.env.example'), 'MY_OWN=1\n');
    const kept = await inDir(dir, configDir, ['init', '--yes', '--templates', 'env-example', '--no-doctor']);
    expect(kept.stderr).toMatch(/exists and differs; not overwritten \(use --force\)/);
    expect(kept.stderr).toMatch(/^- MY_OWN=1$/m);
    expect(readFileSync(join(dir, '.env.example'), 'utf8')).toBe('MY_OWN=1\n');
    await inDir(dir, configDir, ['init', '--yes', '--templates', 'env-example', '--force', '--no-doctor']);
    expect(readFileSync(join(dir, '.env.example'), 'utf8')).toMatch(/Nothing to set: the sandbox/);
  });

  it('names the missing flag or variable (exit 2) and writes nothing', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const { dir, configDir } = workdir();
    const noTarget = await inDir(dir, configDir, ['init', '--provider', 'clerk']);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/missing --target/);
    const noKey = await inDir(dir, configDir, ['init', '--target', 'actions', '--provider', 'clerk', '--api-url', 'https://a.example/me', '--yes'], { CLERK_SECRET_KEY: undefined, CLERK_API_URL: f.env.CLERK_API_URL });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/missing CLERK_SECRET_KEY/);
    const noYes = await inDir(dir, configDir, ['init', '--target', 'actions', '--provider', 'clerk', '--api-url', 'https://a.example/me'], f.env);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/missing --yes/);
    expect(readdirSync(dir).filter((n) => n !== '.config')).toEqual([]);
    expect(f.state.apps.size).toBe(0);
  });

  it('firebase and privy are told plainly they cannot be the OAuth server', async () => {
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['init', '--target', 'apps', '--provider', 'firebase']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot act as the OAuth authorization server ChatGPT needs/);
    expect(r.stderr).toMatch(/--provider custom/);
  });

  it('a failed provider call leaves no project file; re-running converges', async () => {
    const f = await startSupabaseFake();
    fake = f.fake;
    const { dir, configDir } = workdir();
    f.fake.crashAfter('POST /admin/oauth/clients');
    const args = ['init', '--target', 'actions', '--provider', 'supabase', '--api-url', 'https://api.todo.example/me', '--gpt-id', 'g-AbC123xyz', '--yes', '--no-doctor'];
    const first = await inDir(dir, configDir, args, f.env);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/running the same command again finds and reuses/);
    expect(existsSync(join(dir, 'gpt-oauth.yaml'))).toBe(false);
    // The create committed but its answer (with the only copy of the secret) was lost: a plain
    // re-run must not exit 0 with an app nobody has the secret of.
    const second = await inDir(dir, configDir, args, f.env);
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toMatch(/--rotate-secret/);
    const third = await inDir(dir, configDir, [...args, '--rotate-secret'], f.env);
    expect(third.code, third.stderr).toBe(0);
    expect(f.state.clients.size).toBe(1);
    expect(readFileSync(join(configDir, 'secrets.json'), 'utf8')).toContain(String([...f.state.clients.values()][0]!.client_secret));
    expect([...f.state.clients.values()][0]!.redirect_uris).toEqual(['https://chatgpt.com/aip/g-AbC123xyz/oauth/callback', 'https://chat.openai.com/aip/g-AbC123xyz/oauth/callback']);
    expect(f.state.config.oauth_server_enabled).toBe(true);
  });

  it('init --provider sandbox, then doctor with no flags, passes offline', async () => {
    const { dir, configDir } = workdir();
    expect((await inDir(dir, configDir, ['init', '--provider', 'sandbox', '--target', 'both', '--no-doctor'])).code).toBe(0);
    const apps = await inDir(dir, configDir, ['doctor']);
    expect(apps.code, apps.stdout).toBe(0);
    expect(apps.stdout).toMatch(new RegExp(`${SANDBOX_PASSED} passed, 0 failed`));
    const actions = await inDir(dir, configDir, ['doctor', '--target', 'actions']);
    expect(actions.code, actions.stdout).toBe(0);
    expect(actions.stdout).toMatch(/10 passed, 0 failed/);
  });
});

describe('--target both means both', () => {
  it('the workflow has a doctor step per target, the apps one with the refresh-token start; --doctor runs both suites', async () => {
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['init', '--provider', 'sandbox', '--target', 'both', '--templates', 'github-actions', '--doctor']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/gpt-oauth doctor · apps ·/);
    expect(r.stdout).toMatch(/gpt-oauth doctor · actions ·/);
    const workflow = readFileSync(join(dir, '.github/workflows/chatgpt-oauth.yml'), 'utf8');
    const { parse } = await import('yaml');
    const steps = parse(workflow).jobs.doctor.steps as { name?: string; uses?: string; if?: string; with?: Record<string, string> }[];
    expect(steps.map((x) => x.name).filter(Boolean)).toEqual(['gpt-oauth doctor (apps)', 'gpt-oauth doctor (actions)']);
    const [apps, actions] = steps.filter((x) => x.name?.startsWith('gpt-oauth doctor'));
    expect(actions!.if).toBe('${{ !cancelled() }}');
    // The written steps, run through the action as GitHub would (this checkout as the CLI).
    const { inputsOfStep, runAction, actionRoot } = await import('./helpers/action-runner.js');
    for (const [step, target] of [[apps!, 'apps'], [actions!, 'actions']] as const) {
      const run = await runAction({ workspace: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', GPT_OAUTH_CONFIG_DIR: configDir, GPT_OAUTH_SECRET_BACKEND: 'file' }, inputs: { ...inputsOfStep(step), version: actionRoot } });
      expect(run.exitCode, run.log).toBe(0);
      expect(run.outputs).toEqual({ 'verdict-chatgpt': 'pass', 'verdict-security': 'pass', regressions: '0', 'regressions-chatgpt': '0', 'regressions-security': '0', 'report-path': `gpt-oauth-report-${target}.md` });
      expect(readFileSync(join(dir, `gpt-oauth-trace-${target}.har`), 'utf8')).toMatch(/"log"/);
    }
  }, 240_000);

  it('--json --doctor on --target both runs both suites into the one JSON object', async () => {
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['--json', 'init', '--provider', 'sandbox', '--target', 'both', '--templates', 'none', '--doctor']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.doctor.target).toBe('apps');
    expect(j.doctorActions.target).toBe('actions');
    expect(j.doctorActions.summary.failed).toBe(0);
  }, 60_000);

  it('a workflow for a real server starts the apps suite from the refresh token when the repository has one', async () => {
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['init', '--provider', 'custom', '--target', 'apps', '--mcp-url', 'https://api.example.com/mcp', '--templates', 'github-actions', '--no-doctor', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const workflow = readFileSync(join(dir, '.github/workflows/chatgpt-oauth.yml'), 'utf8');
    const { parse } = await import('yaml');
    expect(parse(workflow).jobs.doctor.steps[1].with).toEqual({
      url: 'https://api.example.com/mcp', 'client-id': '${{ vars.GPT_OAUTH_CLIENT_ID }}', 'refresh-token': '${{ secrets.GPT_OAUTH_REFRESH_TOKEN }}',
      report: 'gpt-oauth-report.md', junit: 'gpt-oauth-junit.xml', args: '--trace gpt-oauth-trace.har',
    });
    // The README shows this very workflow (its URL aside).
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const shown = /```yaml\n# \.github\/workflows\/chatgpt-oauth\.yml\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(workflow.slice(workflow.indexOf('name: ChatGPT OAuth conformance'))).toBe(shown.replace('https://staging.example.com/mcp', 'https://api.example.com/mcp'));
  });

  it('values it could not discover are marked REPLACE-ME, said, and the middleware refuses to start with them', async () => {
    const { dir, configDir } = workdir();
    const r = await inDir(dir, configDir, ['init', '--provider', 'custom', '--target', 'apps', '--mcp-url', 'https://api.example.com/mcp', '--templates', 'protected-resource,mcp-middleware', '--no-doctor', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/mcp-auth-middleware\.mjs still has values gpt-oauth could not discover, marked REPLACE-ME: set them before deploying/);
    expect(readFileSync(join(dir, '.well-known/oauth-protected-resource.json'), 'utf8')).toContain('https://REPLACE-ME.auth.example.com');
    await expect(import(join(dir, 'mcp-auth-middleware.mjs'))).rejects.toThrow(/set ISSUER \(still a placeholder/);
  });
});

describe('the project file', () => {
  it('is validated with line-numbered errors', async () => {
    await expect(parseProject('version: 1\ntarget: apps\nprovider: clerk\nmcpURL: https://x\n', 'g.yaml')).rejects.toThrow(/g\.yaml:4: unknown key "mcpURL"/);
    await expect(parseProject('version: 1\ntarget: gpts\nprovider: clerk\n', 'g.yaml')).rejects.toThrow(/g\.yaml:2: "target" must be one of actions, apps, both/);
    await expect(parseProject('version: 1\ntarget: apps\nprovider: clerk\nmcpUrl: not a url\n', 'g.yaml')).rejects.toThrow(/g\.yaml:4: "mcpUrl" must be an absolute URL/);
    await expect(parseProject('version: 1\ntarget: apps\nprovider: clerk\nclientSecret: abc\n', 'g.yaml')).rejects.toThrow(/g\.yaml:4: "clientSecret" looks like a secret/);
    await expect(parseProject('version: 1\ntarget: [apps\n', 'g.yaml')).rejects.toThrow(/g\.yaml:\d+: not valid YAML/);
  });
  it('a broken project file is a usage error for doctor (exit 2)', async () => {
    const { dir, configDir } = workdir();
    writeFileSync(join(dir, 'gpt-oauth.yaml'), 'version: 1\ntarget: apps\nprovider: nope\n');
    const r = await inDir(dir, configDir, ['doctor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gpt-oauth\.yaml:3: "provider" must be one of/);
  });
});

describe('init --provider custom and the connector templates', () => {
  it('checks what the server advertises and renders working metadata and middleware', async () => {
    const { startToy } = await import('./helpers/toy-server.js');
    const toy = await startToy({ dropMeta: ['code_challenge_methods_supported'] });
    try {
      const { dir, configDir } = workdir();
      const r = await inDir(dir, configDir, ['init', '--provider', 'custom', '--target', 'apps', '--mcp-url', toy.mcpUrl, '--templates', 'protected-resource,mcp-middleware', '--no-doctor']);
      expect(r.code, r.stderr).toBe(0);
      // A failure is marked as one, never with the ✔ of a clean discovery.
      expect(r.stderr).toMatch(/✗ Discovery: \d+ passed, 1 failed/);
      expect(r.stderr).not.toMatch(/✔ Discovery/);
      expect(r.stdout).toMatch(/Still to do:\n  1\. Fix what discovery found failing on \S+ \(as\.pkce-s256\)/);
      expect(r.stderr).toMatch(/✗ as\.pkce-s256/);
      const prm = JSON.parse(readFileSync(join(dir, '.well-known/oauth-protected-resource.json'), 'utf8'));
      expect(prm).toMatchObject({ resource: toy.mcpUrl, bearer_methods_supported: ['header'] });
      // Filled from what the server advertises: its issuer, its JWKS URI and its scopes.
      expect(prm.authorization_servers).toEqual([toy.origin]);
      expect(prm.scopes_supported).toEqual(['mcp:read', 'mcp:write']);
      const middleware = readFileSync(join(dir, 'mcp-auth-middleware.mjs'), 'utf8');
      expect(middleware).toContain(`const ISSUER = '${toy.origin}';`);
      expect(middleware).toContain(`createRemoteJWKSet(new URL('${toy.origin}/jwks'))`);
      expect(middleware).not.toMatch(/example\.com|'https:\/\/REPLACE-ME/);
      expect(r.stderr).not.toMatch(/still has values gpt-oauth could not discover/);

      // The middleware runs: metadata at both well-known paths, 401 challenges without/with a bad token.
      const mw = await import(join(dir, 'mcp-auth-middleware.mjs'));
      const call = async (fn: (req: unknown, res: unknown, next: () => void) => unknown, req: Record<string, unknown>) => {
        const out: { status?: number; headers: Record<string, string>; body?: unknown; next?: boolean } = { headers: {} };
        const res = {
          status(s: number) { out.status = s; return res; },
          set(k: string, v: string) { out.headers[k.toLowerCase()] = v; return res; },
          json(b: unknown) { out.body = b; return res; },
        };
        await fn({ headers: {}, ...req }, res, () => { out.next = true; });
        return out;
      };
      const meta = await call(mw.protectedResourceMetadata, { path: '/.well-known/oauth-protected-resource/mcp' });
      expect(meta.body).toMatchObject({ resource: toy.mcpUrl });
      expect((await call(mw.protectedResourceMetadata, { path: '/other' })).next).toBe(true);
      const none = await call(mw.requireBearer, {});
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe(`Bearer resource_metadata="${toy.origin}/.well-known/oauth-protected-resource/mcp"`);
      const bad = await call(mw.requireBearer, { headers: { authorization: 'Bearer not-a-jwt' } });
      expect(bad.status).toBe(401);
      expect(bad.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    } finally {
      await toy.close();
    }
  });
});

describe('init --provider custom for a GPT Action (a second new user\'s trial)', () => {
  it('fills the project file and the paste block from discovery, says what is left, and the doctor then needs no flags', async () => {
    const { startSandbox } = await import('../src/sandbox/server.js');
    const sb = await startSandbox({ gptClientSecret: 'custom-trial-secret' });
    try {
      const { dir, configDir } = workdir();
      const r = await inDir(dir, configDir, ['init', '--provider', 'custom', '--target', 'both', '--mcp-url', sb.mcpUrl, '--api-url', sb.gpt.apiUrl, '--templates', 'all', '--no-input', '--yes', '--no-doctor'], { NO_COLOR: '1' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/✔ Discovery: \d+ passed, 0 failed, 0 warnings/);
      // What discovery found is in the project file and in what to paste.
      const p = await parseProject(readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8'), 'gpt-oauth.yaml');
      expect(p).toMatchObject({ provider: 'custom', target: 'both', issuer: sb.issuer, authUrl: sb.gpt.authUrl, tokenUrl: sb.gpt.tokenUrl });
      expect(p.app).toBeUndefined();
      expect(r.stdout).toContain(`Authorization URL      ${sb.gpt.authUrl}`);
      expect(r.stdout).toContain(`Token URL              ${sb.gpt.tokenUrl}`);
      expect(r.stdout).not.toMatch(/\(your authorization endpoint\)|\(your token endpoint\)/);
      // What init cannot know is said as the steps left, with the flags that record it.
      expect(r.stdout).toMatch(/Still to do:[\s\S]*Register a client for the GPT Action on your server[\s\S]*init --app CLIENT_ID --gpt-id g-…[\s\S]*GPT_OAUTH_CLIENT_SECRET/);
      // The workflow's actions step gets a client id (a repository variable) and the secret.
      const { parse } = await import('yaml');
      const workflow = readFileSync(join(dir, '.github/workflows/chatgpt-oauth.yml'), 'utf8');
      const actions = (parse(workflow).jobs.doctor.steps as { name?: string; with?: Record<string, string> }[]).find((x) => x.name === 'gpt-oauth doctor (actions)')!;
      expect(actions.with).toMatchObject({ target: 'actions', 'client-id': '${{ vars.GPT_OAUTH_ACTION_CLIENT_ID }}', 'client-secret': '${{ secrets.GPT_OAUTH_CLIENT_SECRET }}' });
      expect(workflow).toMatch(/# [^\n]*GPT_OAUTH_ACTION_CLIENT_ID/);

      // The client and the GPT id, once the user has them: recorded, and the doctor needs no flags.
      const again = await inDir(dir, configDir, ['init', '--app', sb.gpt.clientId, '--gpt-id', sb.gpt.gptId, '--no-input', '--templates', 'none', '--no-doctor'], { NO_COLOR: '1' });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`Client ID              ${sb.gpt.clientId}`);
      expect(again.stdout).not.toMatch(/--app CLIENT_ID|Register a client/);
      expect(await parseProject(readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8'), 'gpt-oauth.yaml')).toMatchObject({ app: { clientId: sb.gpt.clientId }, gptId: sb.gpt.gptId, authUrl: sb.gpt.authUrl });
      const doc = await inDir(dir, configDir, ['doctor', '--target', 'actions'], { GPT_OAUTH_CLIENT_SECRET: 'custom-trial-secret' });
      expect(doc.code, doc.stdout + doc.stderr).toBe(0);
      expect(doc.stdout).toMatch(/ChatGPT can connect/);
    } finally {
      await sb.close();
    }
  }, 60_000);

  it('failed discovery is marked ✗, listed, and said at the end; init still writes its files (exit 0)', async () => {
    const port = await freePort(); // nothing listens there
    const { dir, configDir } = workdir();
    const url = `http://127.0.0.1:${port}/mcp`;
    const r = await inDir(dir, configDir, ['init', '--provider', 'custom', '--target', 'apps', '--mcp-url', url, '--templates', 'none', '--no-input', '--no-doctor'], { NO_COLOR: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/✗ Discovery: 0 passed, 1 failed, 0 warnings\n  ✗ resource\./);
    expect(r.stderr).not.toMatch(/✔ Discovery/);
    expect(existsSync(join(dir, 'gpt-oauth.yaml'))).toBe(true);
    expect(r.stdout).toContain(`1. Fix what discovery found failing on ${url} (resource.`);
    const j = JSON.parse((await inDir(dir, configDir, ['--json', 'init', '--no-input', '--templates', 'none', '--no-doctor'])).stdout);
    expect(j.discovery).toMatchObject({ url, passed: 0, failed: 1 });
    expect(j.remaining[0]).toMatch(/^Fix what discovery found failing/);
  });
});
