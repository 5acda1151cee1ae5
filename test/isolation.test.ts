/**
 * Measure without disturbing: sound servers react to the doctor's many sign-ins, refreshes and
 * replays in ways RFC 9700 approves of, and none of that may become a finding. Each behaviour
 * has a small server (test/helpers/toy-server.ts), run concurrently and sequentially, with and
 * without dynamic registration: no failure, and the same report both ways.
 */
import { describe, expect, it } from 'vitest';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import type { Report } from '../src/doctor/types.js';
import { startToy, type ToyFlags } from './helpers/toy-server.js';

const http = () => new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test', maxRequests: 2000 });

/** Without dynamic registration: a predefined public client, as a tester passes with --client-id. */
const NO_DCR: ToyFlags = { dropMeta: ['registration_endpoint'], client: { id: 'predefined-public', secret: '' } };

async function doctor(flags: ToyFlags, concurrency: number | undefined): Promise<Report> {
  const toy = await startToy(flags);
  const h = http();
  try {
    return await runAppsSuite({ mcpUrl: toy.mcpUrl, http: h, login: 'auto', concurrency, ...(flags.client ? { clientId: flags.client.id } : {}) });
  } finally {
    await h.close();
    await toy.close();
  }
}

// Details minus what differs between any two runs: ports, random ids and counters.
const normal = (s: string) => s.replace(/https?:\/\/127\.0\.0\.1:\d+/g, 'URL').replace(/[A-Za-z0-9_-]{10,}/g, 'X').replace(/\d+/g, 'N');
const lines = (r: Report) => r.checks.map((c) => `${c.id} ${c.status} ${normal(c.detail)}`);
const failures = (r: Report) => r.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`);

const BEHAVIOURS: [string, ToyFlags][] = [
  ['1. re-authorization revokes the client\'s earlier grants', { reauthRevokes: true }],
  ['2. the pending authorization lives in a cookie', { pendingCookie: true }],
  ['3. a replay revokes every grant of the user (one upstream grant)', { replayRevokesAll: true }],
  // Answers in a random order: a replay that is not kept after every other user of a grant shows.
  ['3. the same, with answers arriving in random order', { replayRevokesAll: true, jitterMs: 30 }],
  ['a refresh revokes the access token it replaces', { refreshRevokesAccess: true }],
  ['5. every parameter is checked against its ABNF', { strictSyntax: true }],
  ['all of them at once, answers in random order', { reauthRevokes: true, pendingCookie: true, replayRevokesAll: true, refreshRevokesAccess: true, strictSyntax: true, jitterMs: 20 }],
];

describe('sound servers that react to the doctor\'s probing: no failure, same report concurrently and sequentially', () => {
  for (const [name, flags] of BEHAVIOURS) {
    for (const [how, extra] of [['with dynamic registration', {}], ['without dynamic registration', NO_DCR]] as const) {
      it(`${name}, ${how}`, async () => {
        const concurrent = await doctor({ ...flags, ...extra }, undefined);
        const sequential = await doctor({ ...flags, ...extra }, 1);
        expect(failures(concurrent)).toEqual([]);
        expect(failures(sequential)).toEqual([]);
        expect(concurrent.verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
        expect(lines(concurrent)).toEqual(lines(sequential));
        // Nothing had to be re-checked: the isolation rules kept the probes apart.
        expect(concurrent.recheck).toBeUndefined();
      }, 30_000);
    }
  }

  it('names what it learned, never as a fault: pending state in a cookie, a refresh ending the old access token', async () => {
    const r = await doctor({ pendingCookie: true, refreshRevokesAccess: true }, undefined);
    expect(r.notes?.join('\n')).toMatch(/pending authorization is kept in a cookie/);
    expect(r.notes?.join('\n')).toMatch(/a refresh revokes the access token it replaces \(sound/);
  });

  it('without registration, the checks that sign in as the run\'s client still run, and the re-authorization behaviour is named', async () => {
    const r = await doctor({ reauthRevokes: true, ...NO_DCR }, undefined);
    expect(r.notes?.join('\n')).toMatch(/re-authorization revokes this client's earlier grants \(sound/);
    expect((await doctor(NO_DCR, undefined)).notes?.join('\n') ?? '').not.toMatch(/re-authorization/);
    for (const id of ['pkce.verifier-required', 'pkce.verifier-checked', 'token.redirect-binding', 'authz.scope-omitted', 'token.code-single-use', 'refresh.rotation']) {
      expect(r.checks.find((c) => c.id === id)?.status, id).toBe('pass');
    }
  });
});

describe('real findings are still found under the same behaviours', () => {
  it('pending state in a cookie and PKCE optional for public clients: pkce.required fails, concurrently and sequentially', async () => {
    for (const concurrency of [undefined, 1]) {
      const r = await doctor({ pendingCookie: true, pkcePublicOptional: true }, concurrency);
      expect(r.checks.find((c) => c.id === 'pkce.required')).toMatchObject({ status: 'fail', impact: 'security' });
    }
  });

  it('a replay that revokes every grant of the user cannot hide a finding of a check that still needed its grant', async () => {
    for (const concurrency of [undefined, 1]) {
      const r = await doctor({ replayRevokesAll: true, refreshBinding: false, rs: { ignoreAudience: true }, jitterMs: 10 }, concurrency);
      expect(r.checks.find((c) => c.id === 'refresh.client-binding'), String(concurrency)).toMatchObject({ status: 'fail' });
      expect(r.checks.find((c) => c.id === 'resource.rejects-other-audience'), String(concurrency)).toMatchObject({ status: 'fail' });
    }
  });

  it('without registration, a re-authorization that revokes the run\'s grant cannot hide a rotation finding', async () => {
    // refresh.rotation once replayed the run's own refresh token last, after the negative tests'
    // sign-ins as the run's client had revoked that grant: "refused" looked like rotation.
    for (const concurrency of [undefined, 1]) {
      const r = await doctor({ reauthRevokes: true, refresh: 'old-valid', ...NO_DCR }, concurrency);
      expect(r.checks.find((c) => c.id === 'refresh.rotation'), String(concurrency)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/still mints new tokens/) });
    }
  });

  it('a server that accepts any client_id, without registration: the binding tests catch it with a client_id it never issued', async () => {
    const r = await doctor({ anyClientId: true, codeBinding: false, refreshBinding: false, ...NO_DCR }, undefined);
    const by = (id: string) => r.checks.find((c) => c.id === id)!;
    expect(by('token.code-client-binding')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/a client_id the server never issued/) });
    expect(by('refresh.client-binding')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/a client_id the server never issued/) });
    expect(by('token.client-auth')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/never issued/) });
    expect(r.verdict.security).toBe('fail');
    // The same server with bindings: refused, so the tests pass without a second registrable client.
    const sound = await doctor({ anyClientId: true, ...NO_DCR }, undefined);
    expect(sound.checks.find((c) => c.id === 'token.code-client-binding')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/never issued: refused/) });
    expect(sound.checks.find((c) => c.id === 'refresh.client-binding')).toMatchObject({ status: 'pass' });
  });

  it('a strict-state server passes authz.state: the doctor\'s own state is VSCHAR', async () => {
    const r = await doctor({ strictSyntax: true }, undefined);
    expect(r.checks.find((c) => c.id === 'authz.state')).toMatchObject({ status: 'pass' });
  });
});

describe('6. a verdict is pass only if the checks behind it ran', () => {
  it('a sign-in that fails: the security checks could not run, so security is incomplete, not pass', async () => {
    const r = await doctor({ authorizeLoop: true }, undefined);
    expect(r.checks.find((c) => c.id === 'authz.state')?.status).toBe('fail');
    expect(r.verdict).toEqual({ chatgpt: 'fail', security: 'incomplete' });
  });
});

describe('a failure is reported only if it reproduces alone', () => {
  it('a failure caused by the doctor\'s own probing is re-checked alone, reported as passed, and named', async () => {
    // Not modelled by the isolation rules: ANY new sign-in ends every grant of the user. The
    // early sign-ins of the negative tests then end the run's grant under the checks using it.
    const r = await doctor({ reauthRevokesUser: true }, undefined);
    expect(failures(r)).toEqual([]);
    // The checks that were skipped because a cleared check "failed" ran afterwards as well.
    expect(r.verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
    expect(r.checks.filter((c) => c.status === 'skip' && /^needs /.test(c.detail))).toEqual([]);
    expect(r.recheck?.rechecked).toBeGreaterThan(0);
    expect(r.recheck?.confirmed).toBe(0);
    expect(r.recheck?.cleared.length).toBe(r.recheck?.rechecked);
    expect(r.notes?.join('\n')).toMatch(/failed while other checks ran .* and passed alone/);
    for (const id of r.recheck!.cleared) expect(r.checks.find((c) => c.id === id)?.detail).toMatch(/re-checked alone/);
  }, 30_000);

  it('a real failure is confirmed alone and stays a failure', async () => {
    const r = await doctor({ codeExchange: 'invalid-grant' }, undefined);
    expect(r.checks.find((c) => c.id === 'token.exchange')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/confirmed alone/) });
    expect(r.recheck).toMatchObject({ rechecked: 1, confirmed: 1, cleared: [] });
  });
});

describe('every client the doctor registers is deleted again (RFC 7592)', () => {
  it('on the sandbox: each probe client as soon as its check is done, the run\'s own before the HTTP client closes', async () => {
    const { startSandbox } = await import('../src/sandbox/server.js');
    const sb = await startSandbox();
    const h = http();
    try {
      const r = await runAppsSuite({ mcpUrl: sb.mcpUrl, http: h, login: 'auto' });
      expect(r.verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
      await h.close();
      const registered = h.trace.filter((e) => e.method === 'POST' && e.status === 201 && /\/reg$/.test(new URL(e.url).pathname)).length;
      const deleted = h.trace.filter((e) => e.method === 'DELETE' && e.status === 204).length;
      expect(registered).toBeGreaterThan(10);
      expect(deleted).toBe(registered);
    } finally {
      await sb.close();
    }
  });
});

describe('the refresh chain on the run\'s own grant (no registration, so no grant of its own)', () => {
  it('a refresh that works once fails refresh.grant, concurrently and sequentially, with the same report; a rotating chain passes', async () => {
    for (const concurrency of [undefined, 1]) {
      const once = await doctor({ refresh: 'once', ...NO_DCR }, concurrency);
      const grant = once.checks.find((c) => c.id === 'refresh.grant')!;
      expect(grant, grant.detail).toMatchObject({ status: 'fail', impact: 'chatgpt' });
      expect(grant.detail).toMatch(/^walked on the run's grant: refresh 1 returned no refresh token .*refresh 2 with the same token was refused.*reconnect after about 2 h/);
      expect(once.checks.find((c) => c.id === 'refresh.rotation')?.status).toBe('pass');
      const sound = await doctor(NO_DCR, concurrency);
      expect(sound.checks.find((c) => c.id === 'refresh.grant')?.detail).toMatch(/^3 refreshes in a row on the run's grant/);
    }
    expect(lines(await doctor({ refresh: 'rotated-broken', ...NO_DCR }, undefined))).toEqual(lines(await doctor({ refresh: 'rotated-broken', ...NO_DCR }, 1)));
  }, 30_000);
});
