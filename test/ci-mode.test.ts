/**
 * The doctor in CI: --login command with a real headless Chromium script, GitHub annotations and
 * job summary (the Mermaid diagram is rendered by Mermaid itself), JUnit, HAR, baselines.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { Ajv } from 'ajv';
import { runCli } from './helpers/cli.js';
import { startToy, type Toy } from './helpers/toy-server.js';
import { ALL_APPS_IDS } from './helpers/report-schema.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const EXAMPLE = fileURLToPath(new URL('../examples/login-command.mjs', import.meta.url));
const require = createRequire(import.meta.url);
const tmp = () => mkdtempSync(join(tmpdir(), 'gpt-oauth-ci-'));
let toy: Toy | undefined;
afterEach(async () => { await toy?.close(); toy = undefined; });

/** Parse and render a Mermaid diagram with Mermaid itself, in headless Chromium. */
async function renderMermaid(text: string): Promise<string> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
    return await page.evaluate(async (src) => {
      const m = (window as unknown as { mermaid: { initialize(o: object): void; parse(t: string): Promise<unknown>; render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
      m.initialize({ startOnLoad: false });
      await m.parse(src);
      return (await m.render('d', src)).svg;
    }, text);
  } finally {
    await browser.close();
  }
}

describe.skipIf(!existsSync(CHROMIUM))('CI mode with --login command (headless Chromium)', () => {
  it('signs in through the example script, writes JUnit, annotations and a step summary whose Mermaid renders', async () => {
    const dir = tmp();
    const summary = join(dir, 'summary.md');
    const junit = join(dir, 'junit.xml');
    const r = await runCli(['doctor', '--sandbox', '--login', 'command', '--login-command', `${process.execPath} ${EXAMPLE}`, '--junit', junit, '--skip', 'authz.redirect-exact'], {
      env: { CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
      timeoutMs: 120_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const suite = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')).testsuites.testsuite;
    expect(Number(suite['@_tests'])).toBe(ALL_APPS_IDS.length - 1);
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/\*\*✅ ChatGPT can connect\*\*/);
    expect(md).toMatch(/\| ✅ \| `token\.audience` \|/);
    // ChatGPT's path (the picture), then every exchange (folded): both render.
    const [flow, exchanges] = [...md.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(flow).toMatch(/^sequenceDiagram/);
    const picture = await renderMermaid(flow!);
    expect(picture).toMatch(/<svg/);
    expect(picture).toMatch(/exchange the code/);
    const svg = await renderMermaid(exchanges!);
    expect(svg).toMatch(/<svg/);
    expect(svg).toMatch(/token\.exchange/);
    // One command (one Chromium) for the chain of sign-ins, plus one per sign-in that must end
    // on ChatGPT's own redirect URI (dcr.connector-callback): about 15 s here.
  }, 120_000);
});

describe('GitHub annotations, Markdown report and HAR', () => {
  it('annotates failures, marks the failing hop in the diagram, and writes a redacted HAR 1.2', async () => {
    toy = await startToy({ client: { id: 'gpt', secret: 'cs_toy_secret_value_123456' }, iss: 'missing', refresh: 'refuse' });
    const dir = tmp();
    const har = join(dir, 'trace.har');
    const report = join(dir, 'report.md');
    const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--client-id', 'gpt', '--trace', har, '--report', report], {
      env: { GITHUB_ACTIONS: 'true', GPT_OAUTH_CLIENT_SECRET: 'cs_toy_secret_value_123456' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^::error title=gpt-oauth \[interop\] authz\.iss::iss support is advertised but the redirect carried no iss/m);
    const md = readFileSync(report, 'utf8');
    // What breaks ChatGPT comes first (refresh.grant); the interop finding (authz.iss) is still listed.
    expect(md).toMatch(/Fix first: `refresh\.grant`/);
    expect(md).toMatch(/-xD: 400 FAILED\n\s+Note right of D: refresh\.grant failed/);
    expect(md).toMatch(/Note right of D: authz\.iss failed/);
    if (existsSync(CHROMIUM)) expect(await renderMermaid(/```mermaid\n([\s\S]*?)```/.exec(md)![1]!)).toMatch(/<svg/);

    const doc = JSON.parse(readFileSync(har, 'utf8'));
    const schemas = ['afterRequest', 'beforeRequest', 'browser', 'cache', 'content', 'cookie', 'creator', 'entry', 'har', 'header', 'log', 'page', 'pageTimings', 'postData', 'query', 'request', 'response', 'timings'];
    const ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
    for (const n of schemas) ajv.addSchema(require(`har-schema/lib/${n}.json`), `${n}.json`);
    const validate = ajv.getSchema('har.json')!;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.log.entries.length).toBeGreaterThan(20);
    const text = readFileSync(har, 'utf8');
    for (const v of [...toy.secrets, 'cs_toy_secret_value_123456']) expect(text.includes(v), `HAR leaks ${v.slice(0, 8)}…`).toBe(false);
    for (const e of doc.log.entries) {
      for (const h of [...e.request.headers, ...e.response.headers]) {
        if (/^(authorization|cookie|set-cookie)$/i.test(h.name)) expect(h.value).toBe('[redacted]');
      }
    }
  });
});

describe('baselines', () => {
  it('accepted failures exit 0, new failures exit 1, and fixed entries are reported', async () => {
    const dir = tmp();
    const file = join(dir, 'baseline.yaml');
    toy = await startToy({ iss: 'missing' });
    const write = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--write-baseline', file]);
    expect(write.code).toBe(0); // writing the baseline is what the run was for
    expect(readFileSync(file, 'utf8')).toMatch(/- id: authz\.iss/);
    const accepted = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--baseline', file, '--json']);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout).baseline).toMatchObject({ accepted: ['authz.iss'], fixed: [] });
    await toy.close();

    toy = await startToy({ iss: 'missing', redirectBinding: false, pkce: 'optional' });
    const regression = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--baseline', file]);
    expect(regression.code).toBe(1);
    await toy.close();

    toy = await startToy({});
    const fixed = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--baseline', file]);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toMatch(/Baseline entries that now pass and can be removed: authz\.iss/);
  });

  it('known problems are said as known, regressions lead, and JUnit skips what the baseline accepts', async () => {
    const dir = tmp();
    const file = join(dir, 'gpt-oauth-baseline.yaml');
    toy = await startToy({ pkce: 'optional' });
    expect((await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--write-baseline', file])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/- id: pkce\.verifier-required/);
    // Only known problems: exit 0, no red line first or last, JUnit shows them skipped.
    const junit = join(dir, 'known.xml');
    const known = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--baseline', file, '--junit', junit]);
    expect(known.code).toBe(0);
    const lines = known.stdout.trim().split('\n');
    for (const l of [lines[1], lines[2], ...lines.slice(-2)]) expect(l).not.toMatch(/^✗/);
    expect(lines.at(-1)).toMatch(/^! \d known security problems?, accepted in .*gpt-oauth-baseline\.yaml \(.*pkce\.verifier-required.*\) — no regression$/);
    const suite = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')).testsuites.testsuite;
    expect(Number(suite['@_failures'])).toBe(0);
    const pkce = [suite.testcase].flat().find((t: { '@_name': string }) => t['@_name'].startsWith('pkce.verifier-required'));
    expect(pkce.skipped['@_message']).toMatch(/^known problem, accepted in .*gpt-oauth-baseline\.yaml: /);
    await toy.close();

    // A new failure besides the known one: the line and "Fix first" lead with the regression.
    toy = await startToy({ pkce: 'optional', rs: { acceptGarbage: true } });
    const regression = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--baseline', file]);
    expect(regression.code).toBe(1);
    expect(regression.stdout).toMatch(/^✗ 1 security regression — a garbage token got 200.*\(resource\.rejects-invalid-token\); \d known security problems?, accepted in /m);
    expect(regression.stdout).toMatch(/^Fix first: resource\.rejects-invalid-token/m);
  });

  it('a run with only accepted failures looks like what it is: no red mark in the terminal, the report or its picture; JUnit skips them', async () => {
    const dir = tmp();
    const file = join(dir, 'bl.yaml');
    const report = join(dir, 'r.md');
    const junit = join(dir, 'r.xml');
    toy = await startToy({ prmResourceSuffix: '/' });
    expect((await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--write-baseline', file])).code).toBe(0);
    const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--baseline', file, '--report', report, '--junit', junit]);
    expect(r.code, r.stdout).toBe(0);
    // Still a failure of the server (ChatGPT would fail), said as a known problem, never ✗.
    expect(r.stdout).not.toMatch(/✗/);
    // (The wrong resource also breaks what follows from it: the reconnect, the token's audience.)
    expect(r.stdout).toMatch(/^! ChatGPT would fail: 3 known problems, accepted in .*bl\.yaml \(prm\.resource, .*\) — no regression$/m);
    expect(r.stdout).toMatch(/^ {2}! prm\.resource .*\[chatgpt\] known problem, accepted in .*bl\.yaml$/m);
    // The totals count it as failed and say it is accepted, off the verdict lines.
    expect(r.stdout).toMatch(/^ {2}all checks: \d+ passed, 3 failed \(3 accepted in .*bl\.yaml\), /m);
    const md = readFileSync(report, 'utf8');
    expect(md).not.toMatch(/❌/);
    expect(md).toMatch(/^### ⚠️ 3 known problems, accepted in .*bl\.yaml$/m);
    expect(md).toMatch(/^- ⚠️ \*\*`prm\.resource`\*\* \[chatgpt\] \(known problem, accepted in baseline\) — /m);
    expect(md).toMatch(/Note over C,A: ⚠️ 2\. read the resource metadata/);
    expect(md).toMatch(/prm\.resource failed \(a known problem, accepted in the baseline\) — ChatGPT stops here/);
    const suite = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')).testsuites.testsuite;
    expect(Number(suite['@_failures'])).toBe(0);
    const prm = [suite.testcase].flat().find((t: { '@_name': string }) => t['@_name'].startsWith('prm.resource'));
    expect(prm.skipped['@_message']).toMatch(/^known problem, accepted in .*bl\.yaml: /);
    await toy.close();

    // A regression besides it: the regression is ❌ under its own heading, the known one stays ⚠️.
    toy = await startToy({ prmResourceSuffix: '/', pkce: 'optional' });
    const again = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--baseline', file, '--report', report]);
    expect(again.code).toBe(1);
    const md2 = readFileSync(report, 'utf8');
    expect(md2).toMatch(/^### ❌ \d+ regressions?$/m);
    expect(md2).toMatch(/^- ⚠️ \*\*`prm\.resource`\*\*/m);
    expect(md2).not.toMatch(/^- ❌ \*\*`prm\.resource`/m);
  });

  it('a malformed baseline is a usage error', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'b.yaml'), 'accepted: nope\n');
    const r = await runCli(['doctor', '--sandbox', '--login', 'auto', '--baseline', join(dir, 'b.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected "accepted:"/);
  });
});

describe('--save-refresh-token, then --refresh-token-env in CI', () => {
  it('runs every check that needs no new authorization, skips the others with the reason', async () => {
    const { startSandbox } = await import('../src/sandbox/server.js');
    const sb = await startSandbox();
    try {
      const dir = tmp();
      const cfg = join(dir, 'cfg');
      const save = await runCli(['doctor', sb.mcpUrl, '--login', 'auto', '--save-refresh-token'], { env: { GPT_OAUTH_CONFIG_DIR: cfg, GPT_OAUTH_SECRET_BACKEND: 'file' } });
      // Saved; the two checks that could revoke the grant being saved did not run: the security
      // verdict covers what ran (partial, exit 0, as a selection), never "No security problems found".
      expect(save.code, save.stderr).toBe(0);
      expect(save.stdout).toMatch(/^✓ ChatGPT can connect/m);
      expect(save.stdout).toMatch(/^✓ The \d+ security checks this run could do found no problem — not a verdict on the whole connection \(--save-refresh-token replays nothing that could revoke the grant it saves: 2 security checks left out\)$/m);
      expect(save.stdout).not.toMatch(/No security problems found/);
      const clientId = /Saved the refresh token for client (\S+) in /.exec(save.stderr)![1]!;
      const rt = JSON.parse(readFileSync(join(cfg, 'secrets.json'), 'utf8'))[`refresh-token:${sb.mcpUrl}`];
      expect(rt).toBeTruthy();
      expect(save.stdout + save.stderr).not.toContain(rt);
      // Moved into a CI secret through a pipe, never shown: stdout (not a terminal) is the token.
      expect(save.stderr).toMatch(/--export-refresh-token \| gh secret set GPT_OAUTH_REFRESH_TOKEN/);
      const exported = await runCli(['doctor', sb.mcpUrl, '--export-refresh-token'], { env: { GPT_OAUTH_CONFIG_DIR: cfg, GPT_OAUTH_SECRET_BACKEND: 'file' } });
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stdout).toBe(rt);
      expect(exported.stderr).not.toContain(rt);

      const summary = join(dir, 'summary.md');
      const junit = join(dir, 'junit.xml');
      const args = ['doctor', sb.mcpUrl, '--client-id', clientId, '--refresh-token-env', 'GPT_OAUTH_REFRESH_TOKEN', '--junit', junit, '--json'];
      const env = { CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GPT_OAUTH_REFRESH_TOKEN: rt };
      const r = await runCli(args, { env });
      // Nothing failed; the checks that need a sign-in did not run, by the run's mode: neither
      // verdict is pass — both cover what this run could check (partial), and the CI job is green
      // (exit 0) as with --only.
      expect(r.code, r.stdout).toBe(0);
      // No sign-in happens: the progress line says how the run starts instead of a login mode.
      expect(r.stderr).toContain(`Checking ${sb.mcpUrl} as ChatGPT would (starting from the refresh token in GPT_OAUTH_REFRESH_TOKEN, no sign-in)…`);
      expect(r.stderr).not.toMatch(/login: auto/);
      const report = JSON.parse(r.stdout);
      expect(report.verdict).toEqual({ chatgpt: 'partial', security: 'partial' });
      expect(report.selection.mode.why).toMatch(/a run from the refresh token in GPT_OAUTH_REFRESH_TOKEN makes no new sign-in/);
      expect(report.selection.mode.leftOut).toEqual(expect.arrayContaining(['authz.state', 'pkce.verifier-required', 'token.code-single-use', 'refresh.rotation']));
      // (A second run would find the token rotated: the report's own lines, as printed.)
      const { verdictLines } = await import('../src/doctor/verdict.js');
      const lines = verdictLines(report);
      expect(lines.security.text).toMatch(/^The \d+ security checks this run could do found no problem — not a verdict on the whole connection \(a run from the refresh token in GPT_OAUTH_REFRESH_TOKEN makes no new sign-in and replays nothing: \d+ security checks left out\)$/);
      expect(lines.chatgpt.text).toMatch(/^The \d+ ChatGPT checks this run could do pass — not a verdict on the whole connection \(a run from the refresh token in GPT_OAUTH_REFRESH_TOKEN makes no new sign-in and replays nothing: \d+ ChatGPT checks left out\)$/);
      const status = (id: string) => report.checks.find((c: { id: string }) => c.id === id);
      for (const id of ['authz.state', 'authz.iss', 'pkce.verifier-required', 'token.code-single-use', 'token.redirect-binding']) {
        expect(status(id).status).toBe('skip');
        expect(status(id).detail).toMatch(/needs a new authorization.*GPT_OAUTH_REFRESH_TOKEN/);
      }
      expect(status('refresh.rotation').detail).toMatch(/would revoke the token family/);
      for (const id of ['prm.document', 'as.metadata', 'jwks.keys', 'token.jwt-signature', 'token.audience', 'refresh.grant', 'refresh.audience', 'resource.accepts-token', 'resource.rejects-forged-token']) {
        expect(status(id).status, id).toBe('pass');
      }
      expect(r.stdout + r.stderr).not.toContain(rt);
      const suite = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')).testsuites.testsuite;
      // The checks that need a new authorization (those declaring logins, refresh.rotation among
      // them, and authz.iss), token.exchange, dcr.register (predefined client) and
      // resource.mixed-auth (not a mixed-auth server).
      const { APPS_CHECKS } = await import('../src/checks/apps/index.js');
      expect(Number(suite['@_skipped'])).toBe(APPS_CHECKS.filter((c) => (c.logins ?? 0) > 0 || c.id === 'authz.iss').length + 3);
      expect(Number(suite['@_failures'])).toBe(0);
      const md = readFileSync(summary, 'utf8');
      // ChatGPT's path: the code exchange did not run (no code), so its step is not ticked.
      expect(md).toMatch(/Note over C,A: – 6\. exchange the code/);
      expect(md).not.toMatch(/✅ (4|5|6|10)\. /);
      if (existsSync(CHROMIUM)) expect(await renderMermaid(/```mermaid\n([\s\S]*?)```/.exec(md)![1]!)).toMatch(/<svg/);

      // The sandbox rotates refresh tokens: the same one again is refused. That is the tester's
      // used-up credential, not a server fault: incomplete (exit 3), with what to do.
      const stale = await runCli(args, { env: { ...env, GITHUB_STEP_SUMMARY: join(dir, 's2.md') } });
      expect(stale.code).toBe(3);
      // The headline says what went wrong, then what to do.
      const staleHuman = await runCli(args.filter((a) => a !== '--json' && a !== '--junit' && a !== junit), { env: { ...env, GITHUB_STEP_SUMMARY: join(dir, 's3.md') } });
      expect(staleHuman.stdout).toMatch(/^\? ChatGPT: incomplete — \d+ of \d+ checks could not run.*: the refresh token in GPT_OAUTH_REFRESH_TOKEN was refused with invalid_grant: it was already used or it was revoked \(token\.exchange\) — Save a new one with/m);
      const staleReport = JSON.parse(stale.stdout);
      expect(staleReport.verdict.chatgpt).toBe('incomplete');
      const exchange = staleReport.checks.find((c: { id: string }) => c.id === 'token.exchange');
      expect(exchange).toMatchObject({ status: 'skip', incomplete: true });
      expect(exchange.detail).toMatch(/refresh token in GPT_OAUTH_REFRESH_TOKEN was refused with invalid_grant: it was already used/);
      expect(exchange.fix).toMatch(/--save-refresh-token/);
      expect(staleReport.checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);
    } finally {
      await sb.close();
    }
  });

  it('--refresh-token-env without --client-id is a usage error', async () => {
    const r = await runCli(['doctor', '--sandbox', '--refresh-token-env', 'RT'], { env: { RT: 'x'.repeat(20) } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs --client-id/);
  });
});

describe('HAR against the sandbox (real session cookies)', () => {
  it('redacts every Cookie and Set-Cookie value', async () => {
    const dir = tmp();
    const har = join(dir, 'sb.har');
    const r = await runCli(['doctor', '--sandbox', '--login', 'auto', '--trace', har]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(har, 'utf8'));
    const cookieHeaders = doc.log.entries.flatMap((e: { request: { headers: { name: string; value: string }[] }; response: { headers: { name: string; value: string }[] } }) =>
      [...e.request.headers, ...e.response.headers].filter((h) => /^(cookie|set-cookie)$/i.test(h.name)));
    expect(cookieHeaders.length).toBeGreaterThan(3); // oidc-provider's session and interaction cookies
    for (const h of cookieHeaders) expect(h.value).toBe('[redacted]');
    expect(readFileSync(har, 'utf8')).not.toMatch(/_session=|_interaction=[A-Za-z0-9]/);
  });
});

describe('GitHub step outputs ($GITHUB_OUTPUT)', () => {
  const outputs = (file: string) => Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => /^[\w-]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

  it('with a baseline that accepts the one failure: the verdict still says fail, regressions=0, exit 0', async () => {
    toy = await startToy({ dropMeta: ['code_challenge_methods_supported'] });
    const dir = tmp();
    writeFileSync(join(dir, 'bl.yaml'), 'accepted:\n  - id: as.pkce-s256\n    reason: known\n');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: join(dir, 'out'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
    const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--baseline', join(dir, 'bl.yaml')], { env });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/no regression/);
    expect(outputs(join(dir, 'out'))).toEqual({ 'verdict-chatgpt': 'fail', 'verdict-security': 'pass', regressions: '0', 'regressions-chatgpt': '0', 'regressions-security': '0' });
  });

  it('no security check selected: verdict-security=partial, and every place that documents partial says it covers that', async () => {
    const dir = tmp();
    const r = await runCli(['doctor', '--sandbox', '--login', 'auto', '--only', 'prm.'], { env: { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: join(dir, 'out') } });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^- Security: not checked — no security check selected \(--only prm\.\)$/m);
    expect(outputs(join(dir, 'out'))).toMatchObject({ 'verdict-security': 'partial' });
    const root = fileURLToPath(new URL('..', import.meta.url));
    const read = (f: string) => readFileSync(join(root, f), 'utf8').replace(/\s+/g, ' ');
    const action = read('action.yml');
    const securityOutput = /verdict-security: description: '([^']*)'/.exec(action)?.[1] ?? '';
    expect(securityOutput).toMatch(/partial: .*--only prm\. selects none: partial, nothing checked/);
    expect(read('README.md')).toMatch(/`partial` means: .* with no check of that kind selected \(`args: --only prm\.` selects no security check\) the verdict is `partial` too, and nothing of that kind was checked/);
    expect(read('docs/contract.md')).toMatch(/a selection with no check of that impact \(`--only prm\.` for `security`\) makes it `partial` too, with nothing of that kind checked/);
  });
});
