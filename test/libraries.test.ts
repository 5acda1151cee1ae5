/**
 * Measure without disturbing, against the libraries themselves: OAuth servers others wrote,
 * installed from npm, whose sound behaviour used to become the doctor's findings.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import type { Report } from '../src/doctor/types.js';
import { startStrictStateServer } from './helpers/node-oauth2-server.js';

const http = () => new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test', maxRequests: 2000 });
const normal = (s: string) => s.replace(/https?:\/\/127\.0\.0\.1:\d+/g, 'URL').replace(/[A-Za-z0-9_-]{10,}/g, 'X').replace(/\d+/g, 'N');
const lines = (r: Report) => r.checks.map((c) => `${c.id} ${c.status} ${normal(c.detail)}`);

async function doctor(mcpUrl: string, concurrency: number | undefined, clientId?: string): Promise<Report> {
  const h = http();
  try {
    return await runAppsSuite({ mcpUrl, http: h, login: 'auto', concurrency, clientId });
  } finally {
    await h.close();
  }
}

/** Start a helper server as a child process; it prints `listening <port>` (and maybe `client <id>`) on stderr. */
async function startChild(script: string, env: Record<string, string> = {}, interpreter = process.execPath): Promise<{ child: ChildProcess; mcpUrl: string; clientId?: string }> {
  const child = spawn(interpreter, [fileURLToPath(new URL(`./helpers/${script}`, import.meta.url))], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  const port = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${script} did not start: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening (\d+)/.exec(err);
      if (m) { clearTimeout(t); resolve(m[1]!); }
    });
  });
  return { child, mcpUrl: `http://127.0.0.1:${port}/mcp`, clientId: /client (\S+)/.exec(err)?.[1] };
}

describe('@openauthjs/openauth: the pending authorization in a cookie, PKCE optional, any client_id', () => {
  let child: ChildProcess;
  let mcpUrl: string;
  let concurrent: Report;
  let sequential: Report;
  beforeAll(async () => {
    ({ child, mcpUrl } = await startChild('openauth-server.mjs'));
    // OpenAuth has no registration: the tester gives a client id, as with any predefined client.
    concurrent = await doctor(mcpUrl, undefined, 'mcp-test-client');
    sequential = await doctor(mcpUrl, 1, 'mcp-test-client');
  }, 60_000);
  afterAll(() => { child?.kill(); });

  const by = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

  it('signs in, exchanges and calls the MCP server: no sign-in overwrote another one\'s pending cookie', () => {
    for (const r of [concurrent, sequential]) {
      // (token.exchange itself fails on OpenAuth: its token response has no token_type.)
      for (const id of ['authz.state', 'resource.accepts-token', 'pkce.verifier-checked', 'pkce.verifier-required', 'authz.scope-omitted']) {
        expect(by(r, id).status, `${id}: ${by(r, id).detail}`).toBe('pass');
      }
      // A code that came back for another sign-in's request fails its exchange with OpenAuth's
      // "code verifier does not match"; only the wrong-verifier test may see that.
      expect(JSON.stringify(r.checks.filter((c) => c.id !== 'pkce.verifier-checked'))).not.toMatch(/unknown state|code verifier does not match/i);
    }
    expect(concurrent.notes?.join('\n')).toMatch(/pending authorization is kept in a cookie/);
  });

  it('finds what is really there: PKCE is optional for a public client (pkce.required), concurrently and sequentially', () => {
    expect(by(concurrent, 'pkce.required')).toMatchObject({ status: 'fail', impact: 'security' });
    expect(by(sequential, 'pkce.required')).toMatchObject({ status: 'fail', impact: 'security' });
  });

  it('reports what OpenAuth really does: errors (an unknown redirect URI among them) are redirected to the unchecked redirect_uri', () => {
    // RFC 6749 §4.1.2.1: never redirect to an invalid redirect URI. OpenAuth's onError does.
    expect(by(concurrent, 'authz.redirect-exact')).toMatchObject({ status: 'fail', impact: 'security' });
  });

  it('gives the same report concurrently and sequentially', () => {
    expect(lines(concurrent)).toEqual(lines(sequential));
  });
});

describe('@cloudflare/workers-oauth-provider: authorizing again revokes the client\'s earlier grants (its default)', () => {
  for (const [how, env] of [['with dynamic registration', {}], ['without registration (a client made with the library\'s helpers)', { NO_DCR: '1' }]] as const) {
    it(`${how}: no failure caused by the doctor's own sign-ins, the same report concurrently and sequentially`, async () => {
      const { child, mcpUrl, clientId } = await startChild('workers-oauth-server.mjs', env);
      try {
        const concurrent = await doctor(mcpUrl, undefined, clientId);
        const sequential = await doctor(mcpUrl, 1, clientId);
        for (const r of [concurrent, sequential]) {
          for (const id of ['authz.state', 'token.exchange', 'refresh.grant', 'resource.accepts-token', 'authz.scope-omitted', 'pkce.verifier-required', 'pkce.verifier-checked', 'token.redirect-binding', 'token.code-single-use', 'refresh.client-binding', 'token.code-client-binding']) {
            const c = r.checks.find((x) => x.id === id)!;
            expect(c.status, `${id}: ${c.detail}`).toBe('pass');
          }
          // The one real finding: the previous refresh token keeps working until its successor is
          // used (the library's grace design), which RFC 9700 §4.14.2 does not allow a public client.
          expect(r.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['refresh.rotation']);
          expect(r.recheck).toBeUndefined();
        }
        expect(lines(concurrent)).toEqual(lines(sequential));
      } finally {
        child.kill();
      }
    }, 60_000);
  }
});

describe('@node-oauth/oauth2-server: every state must be VSCHAR (RFC 6749 Appendix A.5)', () => {
  it('the doctor\'s own state passes the library\'s check, so authz.state passes, concurrently and sequentially', async () => {
    const srv = await startStrictStateServer();
    try {
      for (const concurrency of [undefined, 1]) {
        const r = await doctor(srv.mcpUrl, concurrency);
        expect(r.checks.find((c) => c.id === 'authz.state'), JSON.stringify(r.checks.find((c) => c.id === 'authz.state'))).toMatchObject({ status: 'pass' });
        expect(r.checks.find((c) => c.id === 'token.exchange')?.status).toBe('pass');
        expect(r.checks.filter((c) => c.status === 'fail' && c.impact === 'chatgpt').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
      }
      // The library refuses a state outside VSCHAR: what the doctor used to send.
      expect(await srv.stateAccepted('oauth_s_abc%2F+ä')).toBe(false);
      expect(await srv.stateAccepted('oauth_s_abc-._~')).toBe(true);
    } finally {
      await srv.close();
    }
  }, 30_000);
});

/** A Python with Debian's python3-authlib and python3-flask (`apt-get install -y python3-authlib python3-flask`). */
const AUTHLIB_PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import authlib, flask'], { stdio: 'ignore' }).status === 0);

describe.skipIf(!AUTHLIB_PYTHON)('Authlib (Python, Flask) set up as its documentation shows: a refresh works once', () => {
  const by = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

  it('its default refresh grant (no new refresh token, the used one revoked): refresh.grant fails with when ChatGPT loses the connection; not a rotation finding', async () => {
    const { child, mcpUrl } = await startChild('authlib-server.py', {}, AUTHLIB_PYTHON);
    try {
      const concurrent = await doctor(mcpUrl, undefined);
      const sequential = await doctor(mcpUrl, 1);
      for (const r of [concurrent, sequential]) {
        const grant = by(r, 'refresh.grant');
        expect(grant, grant.detail).toMatchObject({ status: 'fail', impact: 'chatgpt' });
        expect(grant.detail).toMatch(/refresh 1 returned no refresh token .*refresh 2 with the same token was refused \(400 invalid_grant\).*ChatGPT asks the person to reconnect after about \d+ h/);
        expect(grant.fix).toMatch(/INCLUDE_NEW_REFRESH_TOKEN = True/);
        // The used token is revoked and none replaces it: nothing is left to steal.
        expect(by(r, 'refresh.rotation'), by(r, 'refresh.rotation').detail).toMatchObject({ status: 'pass' });
        expect(by(r, 'refresh.rotation').detail).toMatch(/no refresh token stays usable to steal/);
        // Its evidence is a refresh token that had not been used, confirmed by its own client after.
        expect(by(r, 'refresh.client-binding')).toMatchObject({ status: 'pass' });
        expect(by(r, 'refresh.client-binding').detail).toMatch(/while unused: refused.*then refreshed with it/);
        expect(r.verdict.chatgpt).toBe('fail');
        // Its CodeChallenge takes code_challenge_method=plain although the metadata lists only S256.
        expect(by(r, 'pkce.plain-refused')).toMatchObject({ status: 'warn', impact: 'security' });
      }
      expect(lines(concurrent)).toEqual(lines(sequential));
    } finally {
      child.kill();
    }
  }, 60_000);

  it('with INCLUDE_NEW_REFRESH_TOKEN = True (the sound twin): every link of the chain works; the missing reuse detection is the one refresh finding', async () => {
    const { child, mcpUrl } = await startChild('authlib-server.py', { INCLUDE_NEW_REFRESH_TOKEN: '1' }, AUTHLIB_PYTHON);
    try {
      const concurrent = await doctor(mcpUrl, undefined);
      const sequential = await doctor(mcpUrl, 1);
      for (const r of [concurrent, sequential]) {
        expect(by(r, 'refresh.grant'), by(r, 'refresh.grant').detail).toMatchObject({ status: 'pass' });
        expect(by(r, 'refresh.grant').detail).toMatch(/3 refreshes in a row.*a new refresh token each time.*accepted each new access token/);
        // Authlib revokes the used token but not its family on reuse (RFC 9700 §4.14.2).
        expect(by(r, 'refresh.rotation')).toMatchObject({ status: 'fail', impact: 'security' });
        expect(by(r, 'refresh.rotation').detail).toMatch(/newest refresh token still works/);
        expect(by(r, 'refresh.client-binding')).toMatchObject({ status: 'pass' });
        expect(r.checks.filter((c) => c.status === 'fail' && c.impact === 'chatgpt').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
      }
      expect(lines(concurrent)).toEqual(lines(sequential));
    } finally {
      child.kill();
    }
  }, 60_000);
});
