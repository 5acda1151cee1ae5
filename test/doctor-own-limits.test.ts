/**
 * What the doctor could not do is never the server's fault: a sign-in that goes on to a host the
 * doctor's own policy does not fetch (a consent page on the user's own site), a rate limit of the
 * authorization server, and — the other way round — one error that every sign-in meets is one
 * cause, not a failure of what each check varies. Each case has a sound twin that passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import { UrlPolicy } from '../src/http/policy.js';
import { firstFix } from '../src/doctor/verdict.js';
import type { Report } from '../src/doctor/types.js';
import { startToy, type ToyFlags } from './helpers/toy-server.js';

async function doctor(flags: ToyFlags, o: { allowHosts?: string[]; deadlineMs?: number } = {}): Promise<{ report: Report; requests: string[] }> {
  const toy = await startToy(flags);
  const http = new HttpClient({
    timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test', policy: new UrlPolicy(toy.mcpUrl, { allowHosts: o.allowHosts }),
    ...(o.deadlineMs ? { deadlineAt: Date.now() + o.deadlineMs } : {}),
  });
  try {
    return { report: await runAppsSuite({ mcpUrl: toy.mcpUrl, http, login: 'auto' }), requests: toy.requests };
  } finally {
    await http.close();
    await toy.close();
  }
}
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

describe('a consent page on another host (the user\'s own site)', () => {
  // The consent page: on `localhost` (another host than the 127.0.0.1 the server is on), it
  // approves at once and sends the browser back to where the authorization server said.
  let consent: Server;
  let consentOrigin: string;
  beforeAll(async () => {
    consent = createServer((req, res) => {
      const next = new URL(req.url ?? '/', 'http://x').searchParams.get('next');
      if (!next) { res.writeHead(400); return res.end(); }
      res.writeHead(302, { location: next });
      res.end();
    });
    await new Promise<void>((r) => consent.listen(0, () => r()));
    consentOrigin = `http://localhost:${(consent.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => consent.close(() => r())));

  // The toy's approval goes through the consent page first, as Supabase's and Stytch's do.
  const viaConsent: ToyFlags['respond'] = (req, sound, res) => {
    const loc = sound.headers.location;
    if (req.path === '/authorize' && sound.status === 302 && loc && new URL(loc).searchParams.has('code')) {
      res.writeHead(302, { location: `${consentOrigin}/consent?next=${encodeURIComponent(loc)}` });
      return void res.end();
    }
    res.writeHead(sound.status, sound.headers);
    res.end(sound.body);
  };

  it('--login auto: incomplete, naming --allow-host and --login browser — never "ChatGPT would fail"', async () => {
    const { report } = await doctor({ respond: viaConsent });
    expect(report.verdict.chatgpt).toBe('incomplete');
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    const state = check(report, 'authz.state');
    expect(state).toMatchObject({ status: 'skip', incomplete: true });
    expect(state.detail).toMatch(/sent the sign-in on to http:\/\/localhost:\d+\/consent, which the doctor's own host policy does not follow/);
    expect(state.detail).not.toMatch(/next=/);
    expect(state.fix).toMatch(/pass --allow-host localhost to let --login auto follow it, or use --login browser/);
    // The probe of altered redirect URIs saw the server go on to the page: not a failure either.
    expect(check(report, 'authz.redirect-exact').status).not.toBe('fail');
  }, 60_000);

  it('with --allow-host for the page\'s host: followed, and ChatGPT passes', async () => {
    const { report } = await doctor({ respond: viaConsent }, { allowHosts: ['localhost'] });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(report.verdict.chatgpt).toBe('pass');
  }, 60_000);
});

describe('a rate limit on registration (as Supabase limits registrations per address)', () => {
  /** Registrations after the first `free` answer 429 with this Retry-After (until `until` of them). */
  const limited = (free: number, retryAfter: string, until = Infinity): ToyFlags['respond'] => {
    let n = 0;
    let limitedSoFar = 0;
    return (req, sound, res) => {
      if (req.method === 'POST' && req.path === '/register' && n++ >= free && limitedSoFar < until) {
        limitedSoFar++;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter });
        return void res.end(JSON.stringify({ code: 429, error_code: 'over_request_rate_limit', msg: 'Request rate limit reached' }));
      }
      res.writeHead(sound.status, sound.headers);
      res.end(sound.body);
    };
  };

  it('a short Retry-After is waited out: the same verdict as without the limit', async () => {
    const { report } = await doctor({ respond: limited(1, '1', 3) });
    expect(report.checks.filter((c) => c.status === 'fail' || c.incomplete).map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(report.verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
    expect(report.notes?.join('\n')).toMatch(/the doctor sent \d+ registration requests: 1 for ChatGPT's client \(dcr\.register\), \d+ for clients of checks whose sign-ins must not end the run's grant/);
  }, 60_000);

  it('beyond what the doctor waits: never a ChatGPT failure — incomplete where a client was needed, fallbacks elsewhere, and said', async () => {
    const { report, requests } = await doctor({ respond: limited(1, '3600') });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(report.verdict.chatgpt).toBe('incomplete');
    const connector = check(report, 'dcr.connector-callback');
    expect(connector).toMatchObject({ status: 'skip', incomplete: true });
    expect(connector.detail).toMatch(/^rate-limited by the authorization server \(429 on POST http:\/\/127\.0\.0\.1:\d+\/register, Retry-After 3600 s, over the 60 s the doctor waits\)/);
    // The binding checks still ran, with a client_id the server never issued.
    expect(check(report, 'token.code-client-binding')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/a client_id the server never issued/) });
    expect(report.notes?.join('\n')).toMatch(/rate-limited by the authorization server .*: \d+ more clients were not registered, and those checks used the run's own client or a client_id the server never issued/);
    // After the first refusal the doctor stops registering: the limited requests are few.
    expect(requests.filter((p) => p === '/register').length).toBeLessThan(8);
  }, 60_000);

  it('ChatGPT\'s own registration limited: incomplete "rate-limited by the authorization server", not "ChatGPT would fail"', async () => {
    const { report } = await doctor({ respond: limited(0, '3600') });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(check(report, 'dcr.register')).toMatchObject({ status: 'skip', incomplete: true, detail: expect.stringMatching(/^rate-limited by the authorization server/) });
    expect(report.verdict.chatgpt).toBe('incomplete');
    expect(firstFix(report.checks)).toBeUndefined();
  }, 60_000);
});

describe('a server that deduplicates registrations (Stytch: identical public registrations get the same client)', () => {
  it('identical metadata deduplicated: each probe registration differs, so each is another client and nothing is flagged', async () => {
    const { report } = await doctor({ dedupRegistrations: 'metadata' });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(check(report, 'token.code-client-binding').detail).toMatch(/another registered client/);
    expect(report.verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
  }, 60_000);

  it('deduplicated by redirect URIs: the same client_id is not another client — no client-binding finding it did not earn', async () => {
    const { report } = await doctor({ dedupRegistrations: 'redirects' });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    for (const id of ['token.code-client-binding', 'refresh.client-binding']) {
      expect(check(report, id), id).toMatchObject({ status: 'pass', detail: expect.stringMatching(/a client_id the server never issued/) });
    }
    expect(report.notes?.join('\n')).toMatch(/answered a registration with a client_id it had already issued to this run .*deduplicates registrations/);
    expect(report.verdict.security).toBe('pass');
  }, 60_000);
});

describe('an error every sign-in meets (a server that is not set up to authorize anyone yet)', () => {
  it('explains the failures behind it: the per-connector callback is not blamed', async () => {
    const everySignIn: ToyFlags['respond'] = (req, sound, res) => {
      const loc = sound.headers.location;
      if (req.path === '/authorize' && sound.status === 302 && loc && new URL(loc).searchParams.has('code')) {
        const back = new URL(loc);
        back.searchParams.delete('code');
        back.searchParams.set('error', 'server_error');
        back.searchParams.set('error_description', 'oauth authorization path not configured');
        res.writeHead(302, { location: back.href });
        return void res.end();
      }
      res.writeHead(sound.status, sound.headers);
      res.end(sound.body);
    };
    const { report } = await doctor({ respond: everySignIn, iss: 'unsupported' });
    const state = check(report, 'authz.state');
    expect(state.status).toBe('fail');
    expect(state.detail).toMatch(/server_error \(oauth authorization path not configured\)/);
    const connector = check(report, 'dcr.connector-callback');
    expect(connector.status).toBe('skip');
    expect(connector.detail).toMatch(/its sign-in ended on the same error as authz\.state's \(the authorization server redirected back with server_error \(oauth authorization path not configured\)\)/);
    expect(connector.detail).not.toMatch(/per-connector callback and cannot connect/);
    expect(state.explains).toContain('dcr.connector-callback');
    expect(firstFix(report.checks)!.id).toBe('authz.state');
  }, 60_000);
});
