/**
 * The doctor against real servers that others wrote: the MCP TypeScript SDK's OAuth example
 * (express, mcpAuthRouter, opaque tokens checked by introspection) and oidc-provider mounted
 * with an issuer that has a path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import type { Report } from '../src/doctor/types.js';
import type { TraceEntry } from '../src/http/client.js';
import { flowDiagram } from '../src/doctor/report.js';
import { NOT_APPLICABLE_TO_SANDBOX } from './helpers/report-schema.js';
import { startDelayProxy } from './helpers/delay-proxy.js';
import { freePort } from './helpers/free-port.js';

const http = () => new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });

describe('the MCP TypeScript SDK OAuth example server', () => {
  let child: ChildProcess;
  let port: number;
  let report: Report;

  beforeAll(async () => {
    const require = createRequire(import.meta.url);
    const sdkServer = join(dirname(require.resolve('@modelcontextprotocol/sdk/server')), '..', 'examples', 'server', 'simpleStreamableHttp.js');
    port = await freePort();
    const authPort = await freePort();
    child = spawn(process.execPath, [sdkServer, '--oauth'], { env: { ...process.env, MCP_PORT: String(port), MCP_AUTH_PORT: String(authPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`SDK example did not start: ${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('MCP Streamable HTTP Server listening')) { clearTimeout(t); resolve(); }
      });
    });
    const h = http();
    report = await runAppsSuite({ mcpUrl: `http://localhost:${port}/mcp`, http: h, login: 'auto' });
    await h.close();
  });
  afterAll(() => { child?.kill(); });

  const status = (id: string) => report.checks.find((c) => c.id === id)!;

  it('completes discovery, registration, PKCE authorization, exchange and the MCP handshake', () => {
    for (const id of ['resource.challenge', 'prm.document', 'prm.resource', 'as.metadata', 'as.issuer', 'as.pkce-s256',
      'as.endpoints', 'as.client-registration', 'dcr.register', 'authz.redirect-exact', 'authz.state',
      'pkce.verifier-required', 'pkce.verifier-checked', 'token.exchange', 'token.scopes',
      'resource.accepts-token']) {
      expect(status(id).status, `${id}: ${status(id).detail}`).toBe('pass');
    }
    // It refuses a replayed code (with a 500), but the tokens of the first redemption stay valid
    // (RFC 6749 §4.1.2: SHOULD revoke): a warning.
    expect(status('token.code-single-use')).toMatchObject({ status: 'warn', impact: 'security' });
    expect(status('token.code-single-use').detail).toMatch(/reuse refused: 500 .*the opaque access token issued from the first redemption still works after the replay/);
    expect(status('resource.accepts-token').detail).toMatch(/tools\/list: \d+ tool\(s\) \(SSE\)/);
  });

  it('reports its opaque tokens and missing refresh as info/warn, not failures', () => {
    expect(status('jwks.keys').status).toBe('info');
    expect(status('token.jwt-signature').status).toBe('info');
    expect(status('token.audience').status).toBe('info');
    expect(status('refresh.grant').status).toBe('warn');
    expect(status('refresh.rotation').status).toBe('skip');
    expect(status('authz.iss').status).toBe('warn'); // no RFC 9207 support in mcpAuthRouter
  });

  it('finds the one real defect of the example: invalid tokens get 500, not a 401 challenge', () => {
    // The example's introspection verifier throws a plain Error, which requireBearerAuth maps to
    // 500 server_error. ChatGPT needs 401 + WWW-Authenticate to start a re-authorization.
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failed).toEqual(['resource.rejects-invalid-token']);
    expect(status('resource.rejects-invalid-token').detail).toMatch(/500 instead of 401/);
    // ...and the fix names the SDK's remedy, which the next suite shows to work.
    expect(status('resource.rejects-invalid-token').fix).toMatch(/throw InvalidTokenError .* in verifyAccessToken/);
    expect(status('resource.rejects-forged-token').status).toBe('warn');
    // No redirect_uri binding at its token endpoint, mitigated by its enforced PKCE; and 500 for an unknown code.
    expect(status('token.redirect-binding').status).toBe('warn');
    expect(status('token.error-format').status).toBe('warn');
  });
});

describe('the same SDK example with the fix the doctor suggests', () => {
  let child: ChildProcess;
  let report: Report;
  let trace: TraceEntry[];
  let port: number;
  let authPort: number;
  beforeAll(async () => {
    port = await freePort();
    authPort = await freePort();
    child = spawn(process.execPath, [join(import.meta.dirname, 'helpers', 'sdk-fixed-server.mjs')], { env: { ...process.env, MCP_PORT: String(port), MCP_AUTH_PORT: String(authPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`fixed SDK server did not start: ${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('listening')) { clearTimeout(t); resolve(); } });
      child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    });
    const h = http();
    report = await runAppsSuite({ mcpUrl: `http://localhost:${port}/mcp`, http: h, login: 'auto' });
    trace = h.trace;
    await h.close();
  });
  afterAll(() => { child?.kill(); });

  it("ChatGPT's path names the authorization server on its own port, not the MCP server (which serves a copy of its metadata)", () => {
    const flow = flowDiagram(report, trace)!;
    expect(flow).toContain(`participant M as MCP server localhost:${port}\n`);
    expect(flow).toContain(`participant A as Authorization server localhost:${authPort}\n`);
    // The same from the report alone (the job summary has no trace).
    expect(flowDiagram(report)).toContain(`participant A as Authorization server localhost:${authPort}\n`);
  });

  it('throwing InvalidTokenError in verifyAccessToken leaves no failed check', () => {
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`);
    expect(failed).toEqual([]);
    const check = report.checks.find((c) => c.id === 'resource.rejects-invalid-token')!;
    expect(check.status, check.detail).toBe('pass');
    expect(report.checks.find((c) => c.id === 'resource.rejects-forged-token')!.status).toBe('pass');
  });
});

describe('oidc-provider at the MCP server\'s own origin, 50 ms away', () => {
  it('its metadata is asked for while the protected-resource metadata is (a round trip less before registration)', async () => {
    const proxy = await startDelayProxy({ minMs: 25, maxMs: 25 });
    const sb = await startSandbox({ publicOrigin: `http://127.0.0.1:${proxy.port}` });
    proxy.target(sb.port);
    const h = http();
    try {
      const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http: h, login: 'auto', selection: { only: ['as.metadata'] } });
      expect(report.checks.find((c) => c.id === 'as.metadata')?.status).toBe('pass');
      const at = (e: { startedAt: string }) => Date.parse(e.startedAt);
      const prm = h.trace.find((e) => /\/\.well-known\/oauth-protected-resource\/mcp$/.test(e.url))!;
      const meta = h.trace.filter((e) => /\/\.well-known\/oauth-authorization-server$/.test(e.url));
      expect(meta).toHaveLength(1);
      // Sent before the protected-resource metadata came back (it takes at least 50 ms).
      expect(at(meta[0]!)).toBeLessThan(at(prm) + prm.durationMs - 20);
    } finally {
      await h.close();
      await sb.close();
      await proxy.close();
    }
  });
});

describe('oidc-provider with an issuer that has a path', () => {
  let sb: Sandbox;
  beforeAll(async () => { sb = await startSandbox({ issuerPath: '/tenant/oidc' }); });
  afterAll(async () => { await sb.close(); });

  it('finds the metadata by OIDC path-append discovery (the third candidate) and passes everything', async () => {
    const h = http();
    const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http: h, login: 'auto' });
    await h.close();
    const meta = report.checks.find((c) => c.id === 'as.metadata')!;
    expect(meta.detail).toContain(`found at ${sb.origin}/tenant/oidc/.well-known/openid-configuration (OIDC path-append)`);
    expect(meta.detail).toMatch(/RFC 8414 path-insert .*: 404.*OIDC path-insert .*: 404/);
    // The doctor asks for an issuer at the MCP server's own origin while it reads the
    // protected-resource metadata; here that guess is wrong: asked once, never judged.
    for (const guess of [`${sb.origin}/.well-known/oauth-authorization-server`, `${sb.origin}/.well-known/openid-configuration`]) {
      expect(meta.detail).not.toContain(`${guess}:`);
      expect(h.trace.filter((e) => e.url === guess && e.tag === 'as.metadata').length).toBeLessThanOrEqual(1);
    }
    expect(report.checks.filter((c) => c.status !== 'pass' && !(NOT_APPLICABLE_TO_SANDBOX.includes(c.id) && c.status === 'skip')).map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
  });
});
