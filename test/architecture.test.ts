/**
 * The house rules a newcomer relies on: one home for each ChatGPT fact, no import cycles, no
 * dead code or unused dependency, and a `doctor` that rejects bad input before any request.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { startToy, type Toy } from './helpers/toy-server.js';

const root = new URL('..', import.meta.url).pathname;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('src/chatgpt/ is the one home of what gpt-oauth believes ChatGPT does', () => {
  const sources = filesUnder(join(root, 'src')).filter((f) => f.endsWith('.ts'));
  for (const literal of ['connector_platform_oauth_redirect', 'chatgpt.com/oauth/client.json', 'python-httpx', "'openai-mcp'", '/aip/', 'OAUTH_SCOPES_MISMATCH']) {
    it(`${literal} is spelled in exactly one file, under src/chatgpt/`, () => {
      const holders = sources.filter((f) => readFileSync(f, 'utf8').includes(literal)).map((f) => f.slice(root.length));
      expect(holders).toHaveLength(1);
      expect(holders[0]).toMatch(/^src\/chatgpt\//);
    });
  }
});

describe('the layering', () => {
  it('has no import cycle between files or folders under src/ (type-only and dynamic imports included)', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/import-cycles.mjs')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('has no unused file, export or dependency (knip)', () => {
    const out = execFileSync(process.execPath, [join(root, 'node_modules/knip/bin/knip.js'), '--no-progress'], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('');
  }, 60_000);
});

describe('doctor validates everything before its first request', () => {
  let toy: Toy;
  beforeAll(async () => { toy = await startToy(); });
  afterAll(async () => { await toy.close(); });

  const cases: [string, string[], RegExp][] = [
    ['a missing baseline', ['--baseline', 'missing.yaml'], /--baseline missing\.yaml: cannot read it/],
    ['a JUnit file in a missing directory', ['--junit', '/nonexistent/x.xml'], /--junit \/nonexistent\/x\.xml: the directory \/nonexistent does not exist/],
    ['a report file in a missing directory', ['--report', '/nonexistent/r.md'], /--report/],
    ['a trace file in a missing directory', ['--trace', '/nonexistent/t.har'], /--trace/],
    ['an unknown check id', ['--only', 'nosuch.id'], /--only: no apps check matches "nosuch\.id"/],
    ['an unknown prefix in --skip', ['--skip', 'tokn.'], /--skip: no apps check matches "tokn\." — did you mean token\.\?/],
    ['a misspelt id in --only', ['--only', 'token.audiense'], /--only: no apps check matches "token\.audiense" — did you mean token\.audience\?/],
    ['a selection that leaves nothing', ['--only', 'token.', '--skip', 'token.'], /leave no check to run/],
    ['a --timeout in seconds written as milliseconds', ['--timeout', '3'], /--timeout 3 is 3 ms, too short for any request \(the minimum is 250 ms\)\nFor 3 seconds, write --timeout 3s\./],
    ['a --timeout that is not a duration', ['--timeout', '3 minutes'], /--timeout must be a duration in milliseconds/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: exit 2, named, and no request reached the server`, async () => {
      const before = toy.requests.length;
      const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', ...args], { cwd: mkdtempSync(join(tmpdir(), 'gpt-oauth-validate-')) });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(toy.requests.length - before).toBe(0);
    });
  }
  it('--list-checks lists the catalog without a request (and as JSON)', async () => {
    const before = toy.requests.length;
    const r = await runCli(['doctor', toy.mcpUrl, '--list-checks']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^token\.audience\s+\w+\s+\w+\s+\S/m);
    const { APPS_CHECKS } = await import('../src/checks/apps/index.js');
    expect(r.stdout.trim().split('\n')).toHaveLength(APPS_CHECKS.length);
    const j = JSON.parse((await runCli(['doctor', '--list-checks', '--target', 'actions', '--json'])).stdout);
    expect(j[0]).toMatchObject({ id: expect.stringMatching(/^actions\./), impact: expect.any(String), severity: expect.any(String), title: expect.any(String) });
    // A check whose sub-test judges another impact says so (the garbage token: security).
    expect(j.find((c: { id: string }) => c.id === 'actions.api-call')).toMatchObject({ impact: 'chatgpt', alsoJudges: ['security'] });
    expect((await runCli(['doctor', '--list-checks', '--target', 'actions'])).stdout).toMatch(/^actions\.api-call\s+chatgpt\+security\s+critical\s+\S/m);
    expect(toy.requests.length - before).toBe(0);
  });
  it('an unknown id lists the known prefixes', async () => {
    const r = await runCli(['doctor', toy.mcpUrl, '--only', 'nosuch.id']);
    expect(r.stderr).toMatch(/Known prefixes: resource\. prm\. as\./);
  });
});

describe('--json errors are one JSON object on stdout', () => {
  it('for commander\'s own usage errors', async () => {
    const r = await runCli(['doctor', '--json', '--no-such-flag']);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j.error.code).toBe('usage');
    expect(j.error.message).toMatch(/unknown option '--no-such-flag'/);
  });
  it('for an invalid choice', async () => {
    const r = await runCli(['doctor', '--json', '--login', 'sideways']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toMatch(/sideways/);
  });
  it('for our own usage errors', async () => {
    const r = await runCli(['doctor', '--json', '--only', 'nosuch.id', '--sandbox']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'usage', hint: expect.stringMatching(/Known prefixes/) });
  });
});

describe('init --json', () => {
  it('prints one JSON object: what was set up, with no secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-init-json-'));
    const r = await runCli(['init', '--json', '--provider', 'sandbox', '--target', 'both', '--no-doctor', '--templates', 'none'], { cwd: dir, env: { GPT_OAUTH_CONFIG_DIR: dir } });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ provider: 'sandbox', target: 'both', configFile: './gpt-oauth.yaml', project: { provider: 'sandbox' } });
    expect(r.stdout.trim().startsWith('{') && r.stdout.trim().endsWith('}')).toBe(true);
  });
});
