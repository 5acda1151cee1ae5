/**
 * Nothing secret in any output, even when the server echoes it back: a debugging server quotes
 * every token request (raw, URL- and form-encoded, as JSON, as JSON quoted in JSON, HTML-escaped
 * inside JSON, the Basic credential decoded) and every refused bearer token. The client secret is
 * full of characters that JSON, XML, HTML, Markdown, URLs and workflow commands escape. Every
 * output is searched for every spelling of every secret, and every structured output must parse.
 *
 * Then the net under the spellings (issue #32): a server that echoes a secret in every nesting of
 * two and three layers of JSON, HTML, URL encoding and Markdown, or its registration response
 * inside an HTML error page, splits the secret at a different place in each; no run of 8 or
 * more of its letters and digits may reach any output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { gptCallbackUrls } from '../src/gpt-actions/gpt.js';
import { clearSecrets, fragments, redact, registerSecret } from '../src/http/redact.js';
import { runCli } from './helpers/cli.js';
import { startToy, type Toy, type ToyRequest } from './helpers/toy-server.js';
import { wrapIn, type Layer } from './helpers/fuzz.js';

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

async function everyOutput(args: string[], json: boolean, secret: string | undefined = SECRET) {
  const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-redact-'));
  const files = { junit: join(dir, 'junit.xml'), report: join(dir, 'report.md'), har: join(dir, 'trace.har'), summary: join(dir, 'summary.md') };
  writeFileSync(files.summary, '');
  const r = await runCli([...args, '--debug', '--junit', files.junit, '--report', files.report, '--trace', files.har, ...(json ? ['--json'] : [])], {
    env: { GPT_OAUTH_CLIENT_SECRET: secret, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: files.summary },
  });
  const outputs: Record<string, string> = { stdout: r.stdout, stderr: r.stderr };
  for (const [name, file] of Object.entries(files)) outputs[name] = readFileSync(file, 'utf8');
  return { r, outputs };
}

function expectClean(outputs: Record<string, string>, values: string[], clientId: string, secret: string | undefined = SECRET) {
  const needles = values.flatMap((v) => spellings(v).map((s) => ({ v, s })));
  const enc = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
  if (secret) for (const cred of [`${clientId}:${secret}`, `${enc(clientId)}:${enc(secret)}`]) needles.push({ v: 'basic credential', s: Buffer.from(cred).toString('base64') });
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

describe('fragments: the random runs of a secret, redacted whatever escapes split it', () => {
  it('a run of 8+ letters and digits counts only when no word could be it', () => {
    expect(fragments('fz"q7Rk2Xw9Lp\\b&c<d>e\'f%2Fg4Tn8Vb3Qs')).toEqual(['q7Rk2Xw9Lp', '2Fg4Tn8Vb3Qs']);
    // Words, CONSTANTS, numbers and camelCase names are never fragments; nor the whole value (a spelling already).
    expect(fragments('my_password_is_Secret123')).toEqual(['Secret123']);
    expect(fragments('OAuthClientSecret-AUTHORIZATION-20261206-international')).toEqual([]);
    expect(fragments('password123')).toEqual(['password123']);
    // Random mixed case switches case often; letters alone still count then.
    expect(fragments('x.xQzTrBwPkL.y')).toEqual(['xQzTrBwPkL']);
  });

  it('a test user\'s password does not blank out the word "password"', () => {
    clearSecrets();
    registerSecret('password123', 'password', true);
    registerSecret('the_password_2026', 'password', true);
    expect(redact('enter your password; password is required')).toBe('enter your password; password is required');
    expect(redact('sent password123')).toBe('sent [redacted password]');
  });

  it('a secret split by nested escapes is caught by its runs; overlapping matches make one redaction', () => {
    clearSecrets();
    const secret = 'fz"q7Rk2Xw9Lp\\b&c<d>e\'f%2Fg4Tn8Vb3Qs+h~i*j_k|l5Mz1Hc6Yd';
    registerSecret(secret, 'client_secret', true);
    const html = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    // JSON, then HTML-escaped, then JSON again (the HAR): a spelling no list holds.
    const nested = JSON.stringify(html(JSON.stringify({ client_secret: secret })));
    const out = redact(`before ${nested} after`);
    for (const run of secret.match(/[A-Za-z0-9]{8,}/g)!) expect(out).not.toContain(run);
    expect(out).toMatch(/^before .*\[redacted client_secret\].* after$/);
    // A spelling and a fragment inside it: the spelling is redacted whole, once.
    expect(redact(`a ${secret} b`)).toBe('a [redacted client_secret] b');
  });

  it('a credential field is redacted when cut short or redacted only in part', () => {
    clearSecrets();
    expect(redact('{"a":1,"refresh_token":"rt_80f25123456789abcdef')).toBe('{"a":1,"refresh_token":"[redacted]');
    registerSecret('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0b3kifQ.c2lnbmF0dXJlMQ', 'access_token');
    // Another token of the same server: its header and claims redacted as 8-grams, its signature not.
    expect(redact('{"access_token":"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0b3kifQ.b3RoZXJzaWduYXR1cmU2", "token_type":"Bearer"}'))
      .toBe('{"access_token":"[redacted]", "token_type":"Bearer"}');
  });

  it('another random hex id that shares 8 to 11 digits with a hex secret is left alone; 12 digits are redacted', () => {
    clearSecrets();
    const hex = '9f1c04be7a3d52e86b0f4c17a9d2e3b5';
    registerSecret(`oauth_s_${hex}-._~Qx7Lm2Pz9Rk4Tw8V`, 'state', true);
    // The doctor prints ids such as a toy server's `client_<16 hex>`; 8 of the state's digits in
    // one is chance (32 bits), not the state: it was once redacted, in about one run in a hundred.
    expect(redact(`client_0123${hex.slice(5, 13)}4567`)).toBe(`client_0123${hex.slice(5, 13)}4567`);
    expect(redact(`id ${hex.slice(3, 14)}.`)).toBe(`id ${hex.slice(3, 14)}.`);
    expect(redact(`id ${hex.slice(3, 15)}.`)).toBe('id [redacted state].');
    expect(redact(`id ${hex.slice(3, 15).toUpperCase()}.`)).toBe(`id ${hex.slice(3, 15).toUpperCase()}.`);
    // Grams of mixed case are another matter: 8 characters of them are 47 bits.
    expect(redact('cut at Qx7Lm2Pz9')).toBe('cut at [redacted state]');
  });

  it('a secret without such a run is redacted by its spellings, as before', () => {
    clearSecrets();
    registerSecret('p"a\\ss&<wo>rd 42', 'client_secret', true);
    expect(fragments('p"a\\ss&<wo>rd 42')).toEqual([]);
    expect(redact('x p"a\\ss&<wo>rd 42 y')).toBe('x [redacted client_secret] y');
  });
});

describe('a server that echoes secrets in nested encodings', () => {
  /** Random runs between characters that every layer escapes differently (issue #32's example, with longer runs). */
  const NESTED = 'fz"q7Rk2Xw9Lp\\b&c<d>e\'f%2Fg4Tn8Vb3Qs+h~i*j_k|l5Mz1Hc6Yd';
  const LAYERS: Layer[] = ['json', 'html', 'url', 'md'];
  const NESTINGS: Layer[][] = [
    ...LAYERS.flatMap((a) => LAYERS.map((b) => [a, b])),
    ...LAYERS.flatMap((a) => LAYERS.flatMap((b) => LAYERS.map((c) => [a, b, c]))),
  ];
  const runs = NESTED.match(/[A-Za-z0-9]{8,}/g)!;

  /**
   * A debugging server: every answer quotes `said()` (its client secret, or the registration it
   * made) in all 80 nestings, first in the body, each answer starting at the next 8 (the outputs
   * keep the first 2-4 KiB of a body, so together they show every nesting).
   */
  const echoEverywhere = (said: () => string) => {
    let turn = 0;
    return async (_req: ToyRequest, sound: { status: number; headers: Record<string, string>; body: Buffer }, res: import('node:http').ServerResponse) => {
      const from = (turn++ * 8) % NESTINGS.length;
      const echoes = [...NESTINGS.slice(from), ...NESTINGS.slice(0, from)].map((n) => wrapIn(n, said()));
      const headers = { ...sound.headers };
      delete headers['content-length'];
      let body = sound.body.toString();
      let j: unknown;
      try { j = JSON.parse(body); } catch { /* not JSON */ }
      if (j && typeof j === 'object' && !Array.isArray(j)) body = JSON.stringify({ debug: echoes, ...j });
      else if (sound.status >= 400 || !body) {
        headers['content-type'] = 'text/html';
        body = `<html><body><h1>Error</h1>${echoes.map((e) => `<pre>${e}</pre>`).join('')}</body></html>`;
      }
      res.writeHead(sound.status, headers);
      res.end(body);
    };
  };

  function expectNoRun(outputs: Record<string, string>, secretRuns: string[]) {
    for (const [name, text] of Object.entries(outputs)) {
      expect(secretRuns.filter((r) => text.includes(r)), `${name} shows a run of the secret`).toEqual([]);
    }
  }

  it('the secret\'s runs are all fragments (so the test below tests the rule, not a gap in it)', () => {
    expect(fragments(NESTED)).toEqual(runs);
    expect(runs.length).toBe(3);
  });

  for (const target of ['apps', 'actions'] as const) {
    it(`${target}: a client secret echoed in every nesting of two and three layers reaches no output`, async () => {
      const cb = gptCallbackUrls(GPT);
      toy = await startToy({ respond: echoEverywhere(() => `client_secret=${NESTED}`), client: { id: 'gpt', secret: NESTED, ...(target === 'actions' ? { redirectUris: [cb.chatgpt, cb.openai] } : {}) } });
      const args = target === 'apps'
        ? ['doctor', toy.mcpUrl, '--login', 'auto', '--client-id', 'gpt']
        : ['doctor', '--target', 'actions', '--auth-url', `${toy.origin}/authorize`, '--token-url', `${toy.origin}/token`, '--client-id', 'gpt', '--scope', 'mcp:read', '--gpt-id', GPT, '--api-url', `${toy.origin}/api/me`, '--login', 'auto'];
      const { r, outputs } = await everyOutput(args, target === 'apps', NESTED);
      expect([0, 1], r.stderr.slice(-1500)).toContain(r.code);
      // The echoes really reached the outputs, redacted.
      expect(outputs.har.match(/\[redacted client_secret\]/g)?.length ?? 0).toBeGreaterThan(80);
      expect(outputs.stderr.match(/\[redacted client_secret\]/g)?.length ?? 0).toBeGreaterThan(80);
      expectNoRun(outputs, runs);
      expectClean(outputs, [NESTED, ...ours(toy.secrets)], 'gpt', NESTED);
    }, 60_000);
  }

  it('apps: a registration response echoed inside an HTML error page (and in every nesting) reaches no output', async () => {
    let registration = '';
    toy = await startToy({
      dcrSecret: () => NESTED,
      respond: async (req, sound, res) => {
        if (req.path.startsWith('/register') && sound.status < 300) registration = sound.body.toString();
        // The token endpoint refuses every request after a failure with the registration response, HTML-escaped.
        if (req.path === '/token' && sound.status >= 400) {
          const page = `<html><body><h1>invalid_grant</h1><p>client: ${registration.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</p></body></html>`;
          res.writeHead(sound.status, { 'content-type': 'text/html' });
          return void res.end(page);
        }
        return echoEverywhere(() => registration)(req, sound, res);
      },
    });
    const { r, outputs } = await everyOutput(['doctor', toy.mcpUrl, '--login', 'auto'], false, undefined);
    expect([0, 1], r.stderr.slice(-1500)).toContain(r.code);
    expect(registration).toContain('client_secret');
    expect(outputs.har).toContain('&quot;client_secret&quot;:&quot;fz');
    expectNoRun(outputs, runs);
    expectClean(outputs, ours(toy.secrets), '', undefined);
  }, 60_000);
});
