/**
 * Nothing secret in any output, even when the server echoes it back: a debugging server quotes
 * every token request (raw, URL- and form-encoded, as JSON, as JSON quoted in JSON, HTML-escaped
 * inside JSON, the Basic credential decoded) and every refused bearer token. The client secret is
 * full of characters that JSON, XML, HTML, Markdown, URLs and workflow commands escape. Every
 * output is searched for every spelling of every secret, and every structured output must parse.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { gptCallbackUrls } from '../src/gpt-actions/gpt.js';
import { runCli } from './helpers/cli.js';
import { startToy, type Toy } from './helpers/toy-server.js';

const SECRET = 'cs_"q\\b&a%2F+p~t*s_u|v<w`x[y]z-0123456789';
const GPT = 'g-AbC123xyz';
const CB = gptCallbackUrls(GPT);

/** Every spelling a value can take in an output. */
function spellings(v: string): string[] {
  const json = (s: string) => JSON.stringify(s).slice(1, -1);
  const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const md = (s: string) => html(s).replace(/[\\`*_{}[\]()#+!|~]/g, '\\$&');
  const workflow = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  return [...new Set([v, encodeURIComponent(v), new URLSearchParams({ v }).toString().slice(2), json(v), json(json(v)), html(v), json(html(v)), md(v), workflow(v), xmlAttr(v)])];
}
const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** What the server received or issued, but the doctor's deliberately invalid constants (public, in its source). */
const ours = (values: Set<string>) => [...values].filter((v) => !v.startsWith('gpt-oauth-invalid-'));

let toy: Toy | undefined;
afterEach(async () => { await toy?.close(); toy = undefined; });

async function everyOutput(args: string[], json: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-redact-'));
  const files = { junit: join(dir, 'junit.xml'), report: join(dir, 'report.md'), har: join(dir, 'trace.har'), summary: join(dir, 'summary.md') };
  writeFileSync(files.summary, '');
  const r = await runCli([...args, '--debug', '--junit', files.junit, '--report', files.report, '--trace', files.har, ...(json ? ['--json'] : [])], {
    env: { GPT_OAUTH_CLIENT_SECRET: SECRET, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: files.summary },
  });
  const outputs: Record<string, string> = { stdout: r.stdout, stderr: r.stderr };
  for (const [name, file] of Object.entries(files)) outputs[name] = readFileSync(file, 'utf8');
  return { r, outputs };
}

function expectClean(outputs: Record<string, string>, values: string[], clientId: string) {
  const needles = values.flatMap((v) => spellings(v).map((s) => ({ v, s })));
  const enc = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
  for (const cred of [`${clientId}:${SECRET}`, `${enc(clientId)}:${enc(SECRET)}`]) needles.push({ v: 'basic credential', s: Buffer.from(cred).toString('base64') });
  for (const [name, text] of Object.entries(outputs)) {
    const found = needles.filter(({ s }) => text.includes(s)).map(({ v, s }) => `${v.slice(0, 10)}… as ${s.slice(0, 24)}`);
    expect(found, `${name} leaks`).toEqual([]);
  }
  // Every structured output still parses.
  JSON.parse(outputs.har);
  expect(XMLValidator.validate(outputs.junit)).toBe(true);
  expect(new XMLParser().parse(outputs.junit).testsuites).toBeTruthy();
}

describe('a server that echoes secrets', () => {
  for (const json of [false, true]) {
    it(`apps: nothing secret in ${json ? '--json' : 'human'} output, --debug, JUnit, --report, step summary, annotations or HAR`, async () => {
      toy = await startToy({ echo: true, client: { id: 'gpt-client', secret: SECRET } });
      const { r, outputs } = await everyOutput(['doctor', toy.mcpUrl, '--login', 'auto', '--client-id', 'gpt-client'], json);
      expect([0, 1], r.stderr.slice(-1500)).toContain(r.code);
      // The echo really happened: the wrong-secret test's refusal quotes the request, redacted.
      expect(outputs.stderr).toMatch(/debug: body=/);
      expect(`${outputs.stdout}${outputs.report}`).toMatch(/redacted/);
      const values = [SECRET, ...ours(toy.secrets)];
      expect(values.filter((v) => v.startsWith('eyJ')).length).toBeGreaterThanOrEqual(2);
      expectClean(outputs, values, 'gpt-client');
      if (json) expect(JSON.parse(outputs.stdout).checks.length).toBeGreaterThan(20);
    }, 60_000);
  }

  it('actions: nothing secret in any output, Basic authorization header', async () => {
    toy = await startToy({ echo: true, client: { id: 'gpt', secret: SECRET, redirectUris: [CB.chatgpt, CB.openai], auth: 'basic' } });
    const args = ['doctor', '--target', 'actions', '--auth-url', `${toy.origin}/authorize`, '--token-url', `${toy.origin}/token`, '--client-id', 'gpt', '--scope', 'mcp:read', '--gpt-id', GPT, '--api-url', `${toy.origin}/api/me`, '--login', 'auto'];
    for (const json of [false, true]) {
      const { r, outputs } = await everyOutput(args, json);
      expect([0, 1], r.stderr.slice(-1500)).toContain(r.code);
      expect(outputs.stderr).toMatch(/debug: body=/);
      expectClean(outputs, [SECRET, ...ours(toy.secrets)], 'gpt');
      if (json) JSON.parse(outputs.stdout);
    }
  }, 60_000);
});
