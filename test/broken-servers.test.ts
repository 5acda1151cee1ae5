/**
 * The doctor against deliberately broken servers: one per failure mode of the catalog. Each
 * case asserts the exact check id that fails (or warns, where the contract says warn) and that
 * the checks before it in the flow still pass, so a failure is attributed to the right step.
 */
import { describe, expect, it } from 'vitest';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import type { Report } from '../src/doctor/types.js';
import type { Status } from '../src/checks/types.js';
import { startToy, type ToyFlags } from './helpers/toy-server.js';
import { cases, soundVariants } from './helpers/broken-cases.js';
import { firstFix, verdictLines } from '../src/doctor/verdict.js';

async function doctor(flags: ToyFlags, timeoutMs = 5000): Promise<Report> {
  const toy = await startToy(flags);
  const http = new HttpClient({ timeoutMs, maxBytes: 1 << 20, userAgent: 'test' });
  try {
    return await runAppsSuite({ mcpUrl: toy.mcpUrl, http, login: 'auto' });
  } finally {
    await http.close();
    await toy.close();
  }
}

const statusOf = (r: Report, id: string) => r.checks.find((c) => c.id === id)?.status;
const byStatus = (r: Report, s: Status) => r.checks.filter((c) => c.status === s).map((c) => c.id);

describe('the toy server with no flags is a correct server', () => {
  it('passes every check (so each failure below is caused by its flag alone)', async () => {
    const r = await doctor({});
    // CIMD and mixed auth are not used by this server: those two checks say so and skip.
    const notApplicable = ['cimd.chatgpt-document', 'resource.mixed-auth'];
    expect(r.checks.filter((c) => c.status !== 'pass' && !(notApplicable.includes(c.id) && c.status === 'skip')).map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
  });
});


describe('sound servers that do things differently pass', () => {
  for (const v of soundVariants) {
    it(v.name, async () => {
      const r = await doctor(v.flags);
      expect(r.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
      expect(r.verdict.chatgpt).toBe('pass');
    });
  }
  it('mixed auth: recognised, followed from the _meta challenge through the whole OAuth suite', async () => {
    const r = await doctor({ mixed: 'ok' });
    const byId = (id: string) => r.checks.find((c) => c.id === id)!;
    expect(byId('resource.challenge').detail).toMatch(/mixed auth mode: initialize and tools\/list are public, 1 tool\(s\) declare oauth2 securitySchemes; calling whoami without a token returns the _meta challenge/);
    expect(byId('resource.mixed-auth')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/with a token whoami succeeds/) });
    for (const id of ['prm.document', 'authz.state', 'token.exchange', 'resource.accepts-token']) expect(byId(id).status, id).toBe('pass');
  });
  it('a 403 insufficient_scope challenge is followed once and reported', async () => {
    const r = await doctor({ rs: { stepUp: 'mcp:admin' } });
    expect(r.checks.find((c) => c.id === 'resource.accepts-token')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/after a step-up: 403 insufficient_scope asked for "mcp:read mcp:write mcp:admin", followed once/) });
  });
  it('CIMD first: with both advertised, ChatGPT\'s document is tested and passes', async () => {
    const r = await doctor({ cimdBoth: true });
    expect(r.checks.find((c) => c.id === 'cimd.chatgpt-document')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/none and PKCE/) });
    expect(r.checks.find((c) => c.id === 'dcr.register')!.status).toBe('pass');
  });
  it('gzip: the decoded size is capped like the raw one (a compression bomb stops at 1 MiB)', async () => {
    const { gzipSync } = await import('node:zlib');
    const { createServer } = await import('node:http');
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }); res.end(bomb); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const http = new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });
    try {
      const e = await http.send({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }).catch((x) => x);
      expect(e.message).toMatch(/decoded response body is larger than the 1 MiB limit/);
    } finally {
      await http.close();
      server.close();
    }
  });
});

describe('each failure mode is reported by its own check id', () => {
  for (const c of cases) {
    const status = c.status ?? 'fail';
    it(`${c.id} → ${status} (${JSON.stringify(c.flags)})`, async () => {
      const r = await doctor(c.flags);
      const check = r.checks.find((x) => x.id === c.id)!;
      expect(check.status, `${c.id}: ${check.detail}`).toBe(status);
      if (c.detail) expect(check.detail).toMatch(c.detail);
      if (c.fix) expect(check.fix).toMatch(c.fix);
      if (c.impact) expect(check.impact, `${c.id} impact`).toBe(c.impact);
      if (c.chatgpt === false) expect(check.chatgpt, 'no ChatGPT message on a finding ChatGPT does not show').toBeUndefined();
      if (c.chatgpt === true) expect(check.chatgpt).toBeTruthy();
      // ChatGPT's message appears only on findings whose impact is chatgpt.
      for (const x of r.checks) if (x.chatgpt) expect(x.impact, x.id).toBe('chatgpt');
      // No check ended in an exception of the doctor's own.
      for (const x of r.checks) expect(x.detail, x.id).not.toMatch(/the doctor itself failed/);
      if (status === 'fail') {
        expect(check.fix, 'every failure says how to fix it').toBeTruthy();
        // The first failure in flow order is this check or one it explains (never an unrelated one).
        const firstFailure = r.checks.find((x) => x.status === 'fail')!;
        expect(r.checks.indexOf(firstFailure)).toBeLessThanOrEqual(r.checks.indexOf(check));
      }
    });
  }
});

describe('client ID metadata documents (CIMD)', () => {
  it('uses ChatGPT\'s own client id when the server offers CIMD only, and completes the flow', async () => {
    const r = await doctor({ cimdOnly: true });
    const byId = (id: string) => r.checks.find((c) => c.id === id)!;
    expect(byId('as.client-registration').detail).toMatch(/client ID metadata documents/);
    expect(byId('dcr.register').status).toBe('skip');
    expect(byId('dcr.register').detail).toContain('https://chatgpt.com/oauth/client.json');
    expect(r.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    for (const id of ['authz.state', 'token.exchange', 'token.audience', 'refresh.grant', 'resource.accepts-token', 'pkce.verifier-checked']) expect(byId(id).status, id).toBe('pass');
  });
});

describe('provider-aware advice', () => {
  it('names the Auth0 setting for an Auth0-style issuer', async () => {
    const { fixFor, recogniseProvider } = await import('../src/checks/advice.js');
    expect(recogniseProvider('https://tenant.us.auth0.com/')).toBe('auth0');
    expect(recogniseProvider('https://kc.example.com/realms/acme')).toBe('keycloak');
    expect(recogniseProvider('https://abc.supabase.co/auth/v1')).toBe('supabase');
    expect(fixFor('auth0', { auth0: 'enable X', generic: 'do Y' })).toBe('Auth0: enable X / generic: do Y');
    expect(fixFor('generic', { auth0: 'enable X', generic: 'do Y' })).toBe('do Y');
  });
});

export { byStatus, statusOf };

describe('a server that validates nothing (any client_id, any redirect_uri, no code record, no PKCE)', () => {
  it('gets one root cause that explains the failures below it, and "Fix first" names it', async () => {
    const r = await doctor({ anyClientId: true, redirectCheck: 'none', codeReuse: true, pkce: 'optional', pkcePublicOptional: true, codeBinding: false, refreshBinding: false, redirectBinding: false });
    const first = firstFix(r.checks)!;
    expect(first.id).toBe('authz.redirect-exact');
    expect(first.detail).toMatch(/^this authorization server accepts whatever it is sent/);
    const failed = r.checks.filter((c) => c.status === 'fail' && c.id !== first.id).map((c) => c.id);
    expect(failed.length).toBeGreaterThanOrEqual(6);
    expect(first.explains).toEqual(expect.arrayContaining(failed));
    expect(verdictLines(r).security.text).toMatch(/security problems — this authorization server accepts whatever it is sent/);
  });
  it('one missing validation alone is no such root cause', async () => {
    const r = await doctor({ codeReuse: true });
    expect(JSON.stringify(r.checks)).not.toMatch(/accepts whatever it is sent/);
  });
});
