/**
 * The Markdown report (and job summary) a person reads (#30 items 5 and 6): what failed leads,
 * passes are folded, inline code is code, and ChatGPT's path is one picture of at most 40 arrows
 * with the failing step marked; given the server's origin instead of its MCP URL, the report
 * leads with "Did you mean <URL>?".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import { flowDiagram, renderMarkdown } from '../src/doctor/report.js';
import { firstFix } from '../src/doctor/verdict.js';
import type { Report } from '../src/doctor/types.js';
import type { CheckResult } from '../src/checks/types.js';

let sb: Sandbox;
let wrong: { report: Report; md: string };
let sound: { report: Report; md: string };

const run = async (mcpUrl: string) => {
  const http = new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });
  try {
    const report = await runAppsSuite({ mcpUrl, http, login: 'auto' });
    return { report, md: renderMarkdown(report, http.trace) };
  } finally {
    await http.close();
  }
};

beforeAll(async () => {
  sb = await startSandbox();
  // The origin, as people paste it, and the MCP URL itself.
  [wrong, sound] = await Promise.all([run(`${sb.origin}/`), run(sb.mcpUrl)]);
}, 60_000);
afterAll(async () => { await sb.close(); });

/** The Mermaid blocks of a report, in order. */
const mermaidBlocks = (md: string) => [...md.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
const arrows = (diagram: string) => diagram.split('\n').filter((l) => /^\s+[A-Z]\w*(-->>|->>|--x|-x)\w+:/.test(l)).length;

async function parses(diagram: string): Promise<void> {
  const { default: mermaid } = await import('mermaid/dist/mermaid.core.mjs' as string) as { default: { parse(t: string): Promise<unknown> } };
  await expect(mermaid.parse(diagram)).resolves.toBeTruthy();
}

describe('6. the origin instead of the MCP URL', () => {
  it('leads with "Did you mean <the MCP URL>?", which explains the failures that follow from it', () => {
    const first = firstFix(wrong.report.checks)!;
    expect(first.id).toBe('resource.challenge');
    expect(first.detail).toMatch(new RegExp(`^Did you mean ${sb.mcpUrl.replace(/[.]/g, '\\.')}\\? POST ${sb.origin.replace(/[.]/g, '\\.')}/ without a token: expected 401, got 404`));
    expect(first.fix).toBe(`Give ChatGPT the MCP URL ${sb.mcpUrl} (check it first: \`gpt-oauth doctor ${sb.mcpUrl}\`).`);
    // What only follows from the wrong URL is explained by it.
    expect(first.explains).toEqual(expect.arrayContaining(['prm.resource', 'resource.accepts-token']));
    expect(wrong.md).toMatch(/\*\*Fix first: `resource\.challenge`\*\* — Did you mean http:\/\/127\.0\.0\.1:\d+\/mcp\?/);
    expect(wrong.md).toContain(`check it first: \`gpt-oauth doctor ${sb.mcpUrl}\``);
  });

  it('the right URL: no "Did you mean"', () => {
    expect(sound.md).not.toMatch(/Did you mean/);
    expect(sound.report.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });
});

describe('5. a failing report leads with what failed', () => {
  it('failures first (the root cause on top), then warnings; passes folded in <details>', () => {
    const md = wrong.md;
    const failedAt = md.indexOf('### ❌ 5 failed');
    const foldedAt = md.indexOf('<details><summary>✅ ');
    expect(failedAt).toBeGreaterThan(0);
    expect(md.indexOf('### ⚠️ 1 warning')).toBeGreaterThan(failedAt);
    expect(foldedAt).toBeGreaterThan(md.indexOf('### ⚠️ 1 warning'));
    // No passing check is listed before the fold.
    expect(md.slice(0, foldedAt)).not.toMatch(/\| ✅ \|/);
    const listed = [...md.slice(failedAt, md.indexOf('### ⚠️')).matchAll(/^- ❌ \*\*`([a-z.-]+)`\*\*/gm)].map((m) => m[1]);
    expect(listed[0]).toBe('resource.challenge');
    expect(listed.sort()).toEqual(wrong.report.checks.filter((c) => c.status === 'fail').map((c) => c.id).sort());
    // The first screen (40 lines) holds the verdicts, the fix first and every failure.
    const screen = md.split('\n').slice(0, 40).join('\n');
    for (const id of listed) expect(screen).toContain(`\`${id}\``);
  });

  it('inline code in a detail or fix is a code span, not escaped backticks', () => {
    expect(wrong.md).toContain('`WWW-Authenticate: Bearer error="invalid_token", resource_metadata="…"`');
    expect(wrong.md).not.toMatch(/\\`WWW-Authenticate/);
  });

  it('ChatGPT\'s path: one picture of at most 40 arrows, the failing steps crossed with what ChatGPT shows; the exchanges folded below', async () => {
    const [flow, exchanges] = mermaidBlocks(wrong.md);
    expect(wrong.md.indexOf("### ChatGPT's path")).toBeLessThan(wrong.md.indexOf('<details><summary>Every exchange'));
    expect(arrows(flow!)).toBeLessThanOrEqual(40);
    expect(flow).toMatch(/^sequenceDiagram\n\s+participant C as ChatGPT.*\n\s+participant B as Browser\n\s+participant M as MCP server 127\.0\.0\.1:\d+\n\s+participant A as Authorization server/);
    expect(flow).toMatch(/Note over C,A: ❌ 1\. discover\n\s+C->>M: POST \/ without a token\n\s+M--xC: expected 401 with WWW-Authenticate resource_metadata\n\s+Note over C,A: resource\.challenge failed — ChatGPT stops here and shows: Error fetching OAuth configuration/);
    expect(flow).toMatch(/Note over C,A: ✅ 6\. exchange the code/);
    expect(flow).toMatch(/Note over C,A: ❌ 7\. call the MCP server/);
    // The exchange-by-exchange diagram is still there, folded, and both parse as Mermaid.
    expect(arrows(exchanges!)).toBeGreaterThan(40);
    await parses(flow!);
    await parses(exchanges!);
  }, 30_000);

  it('a passing run: every step ticked, nothing crossed', async () => {
    const [flow] = mermaidBlocks(sound.md);
    expect(flow).not.toMatch(/❌|--x/);
    expect(flow!.match(/Note over C,A: ✅ \d+\./g)).toHaveLength(10);
    expect(sound.md).not.toMatch(/### ❌/);
  });

  it('the README shows the picture of a passing run as the doctor draws it', () => {
    const readme = readFileSync(join(new URL('..', import.meta.url).pathname, 'README.md'), 'utf8');
    const shown = /<!-- flow -->\n```mermaid\n([\s\S]*?)\n```\n<!-- \/flow -->/.exec(readme)?.[1];
    // The authorization server's host is where the run found its metadata.
    const checks = sound.report.checks.map((c) => ({ ...c, detail: c.detail.replaceAll(sb.origin, 'https://auth.example.com') }));
    expect(shown).toBe(flowDiagram({ ...sound.report, subject: 'https://mcp.example.com/mcp', checks }));
  });
});

describe('5. a GPT Action\'s path', () => {
  it('four steps on the API lane, the failing API call crossed with what ChatGPT shows', async () => {
    const ids = ['actions.callback-urls', 'actions.no-pkce', 'actions.state', 'actions.token-exchange-method', 'actions.token-response', 'actions.refresh', 'actions.same-root-domain', 'actions.api-call', 'actions.empty-scope'];
    const checks = ids.map((id) => ({
      id, status: id === 'actions.api-call' ? 'fail' : 'pass', severity: 'high', title: id, detail: 'd', spec: [], references: [], durationMs: 1, step: 'x', impact: 'chatgpt',
      ...(id === 'actions.api-call' ? { chatgpt: 'Error talking to <connector>' } : {}),
    })) as CheckResult[];
    const flow = flowDiagram({ tool: 'gpt-oauth', version: '0', target: 'actions', subject: 'https://api.example.com/me', startedAt: '', durationMs: 1, summary: { passed: 8, failed: 1, warnings: 0, skipped: 0 }, verdict: { chatgpt: 'fail', security: 'pass' }, checks })!;
    expect(flow).toMatch(/participant M as API\n/);
    expect(flow.match(/Note over C,A: (✅|❌) \d\./g)).toEqual(['Note over C,A: ✅ 1.', 'Note over C,A: ✅ 2.', 'Note over C,A: ❌ 3.', 'Note over C,A: ✅ 4.']);
    expect(flow).toMatch(/M--xC: expected 200\n\s+Note over C,A: actions\.api-call failed — ChatGPT stops here and shows: Error talking to ‹connector›/);
    expect(arrows(flow)).toBeLessThanOrEqual(40);
    await parses(flow);
  });
});

describe('a selection (--only) is no verdict on the whole connection', () => {
  it('the verdict lines say what the selected checks cover, never "ChatGPT can connect"', async () => {
    const http = new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });
    try {
      const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'auto', selection: { only: ['prm.', 'token.lifetime'] } });
      expect(report.verdict).toEqual({ chatgpt: 'partial', security: 'partial' });
      const md = renderMarkdown(report);
      expect(md).toContain('**☑️ The 2 selected ChatGPT checks pass — not a verdict on the whole connection \\(--only prm.,token.lifetime\\)**');
      expect(md).toContain('**☑️ The selected security check found no problem — not a verdict on the whole connection \\(--only prm.,token.lifetime\\)**');
      expect(md).not.toMatch(/ChatGPT can connect|No security problems found/);
      // ChatGPT's path ticks the step both prm checks ran for, no step the selection left out.
      expect(flowDiagram(report)!.match(/Note over C,A: \S+ \d+\./g)).toEqual(['– 1.', '✅ 2.', '– 3.', '– 4.', '– 5.', '– 6.', '– 7.', '– 8.', '– 9.', '– 10.'].map((x) => `Note over C,A: ${x}`));
      // A step only some of whose checks were selected is not ticked either.
      const one = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'auto', selection: { only: ['prm.resource'] } });
      expect(one.checks.find((c) => c.id === 'prm.resource')?.status).toBe('pass');
      expect(flowDiagram(one)).toMatch(/Note over C,A: – 2\. read the resource metadata/);
    } finally {
      await http.close();
    }
  });
});

describe('a run from a kept refresh token', () => {
  it('is partial, not pass: it covers the checks it could do, and says what it left out and why', async () => {
    const http = new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });
    try {
      const saved = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'auto', keepGrant: true });
      const kept = (saved as unknown as { kept: { refreshToken: string; clientId: string; clientSecret?: string } }).kept;
      const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'auto', clientId: kept.clientId, clientSecret: kept.clientSecret, refreshToken: kept.refreshToken, refreshTokenSource: 'RT' });
      expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
      // Left out by the run's mode, as --only leaves checks out: partial (exit 0), never pass.
      expect(report.verdict).toEqual({ chatgpt: 'partial', security: 'partial' });
      const signIn = report.checks.filter((c) => /^needs a new authorization/.test(c.detail));
      expect(signIn.length).toBeGreaterThan(5);
      expect(report.selection?.mode?.leftOut).toEqual(expect.arrayContaining(signIn.map((c) => c.id)));
      for (const c of signIn) expect(c).toMatchObject({ status: 'skip', fix: expect.stringMatching(/^a run from the refresh token in RT makes no new sign-in/) });
      // Not applicable to the sandbox is not left out.
      expect(report.selection?.mode?.leftOut).not.toContain('resource.mixed-auth');
      const md = renderMarkdown(report, http.trace);
      // ChatGPT's path ticks only the steps whose checks ran: no sign-in, no registration, no
      // code exchange (token.exchange left out, though token.scopes ran on the refreshed token).
      const flow = flowDiagram(report, http.trace)!;
      const marks = Object.fromEntries([...flow.matchAll(/Note over C,A: (\S+) (\d+)\. /g)].map((m) => [m[2], m[1]]));
      expect(marks).toEqual({ 1: '✅', 2: '✅', 3: '✅', 4: '–', 5: '–', 6: '–', 7: '✅', 8: '✅', 9: '✅', 10: '–' });
      expect(md).toContain(flow);
      expect(md).toMatch(/\*\*☑️ The \d+ security checks this run could do found no problem — not a verdict on the whole connection \\\(a run from the refresh token in RT makes no new sign-in and replays nothing: \d+ security checks left out\\\)\*\*/);
      expect(md).not.toMatch(/No security problems found|ChatGPT can connect/);
      // The terminal: the skips collapsed per step with their reason.
      const { renderHuman } = await import('../src/ui/render.js');
      const human = renderHuman(report, false);
      expect(human).toMatch(/^Security {2}✓ \d+ passed · - \d+ skipped \(needs a new authorization\)$/m);
      expect(human).not.toMatch(/No security problems found|ChatGPT can connect/);
    } finally {
      await http.close();
    }
  });
});

describe('Markdown escaping with code spans', () => {
  const one = (c: Partial<CheckResult>): Report => ({
    tool: 'gpt-oauth', version: '0', target: 'apps', subject: 'https://x.example/mcp', startedAt: new Date(0).toISOString(), durationMs: 1,
    summary: { passed: 0, failed: 1, warnings: 0, skipped: 0 }, verdict: { chatgpt: 'fail', security: 'pass' },
    checks: [{ id: 'prm.resource', status: 'fail', severity: 'high', title: 't', detail: '', spec: [], references: [], durationMs: 1, step: 'Discovery', impact: 'chatgpt', ...c } as CheckResult],
  });
  it('a server\'s text stays inert inside and outside code spans; an unpaired backtick is text', () => {
    const md = renderMarkdown(one({ detail: 'server said `[x](https://evil.example) <b>` and [y](https://evil.example) and a lone ` here' }));
    expect(md).toContain('`[x](https://evil.example) <b>`'); // a code span: shown literally
    expect(md).toContain('\\[y\\]\\(https://evil.example\\)');
    expect(md).toContain('and a lone \\` here');
    expect(md).not.toMatch(/[^`\\]\[y\]\(/);
  });
  it('a code span in the folded table escapes the pipe that would end the cell', () => {
    const r = one({ status: 'pass', detail: 'sent `a|b`' });
    r.summary = { passed: 1, failed: 0, warnings: 0, skipped: 0 };
    expect(renderMarkdown(r)).toContain('| sent `a\\|b` |');
  });
});
