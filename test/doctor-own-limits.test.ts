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
