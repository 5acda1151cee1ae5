/**
 * A real issuer library, @openauthjs/openauth, on loopback, with a small MCP resource beside it:
 * what a developer gets by mounting OpenAuth for an MCP server. OpenAuth keeps the pending
 * authorization in an encrypted cookie between /authorize and its provider's page (and shows
 * "the browser was in an unknown state" without it), treats PKCE as optional, and accepts any
 * client_id. The provider here approves at once (no login page), so `--login auto` works.
 *
 * Run as a child process (OpenAuth logs every request on stdout): prints `listening <port>`.
 * Its metadata gains what OpenAuth leaves out and MCP deployments add (S256, the auth method);
 * everything else is OpenAuth's own.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { issuer } from '@openauthjs/openauth';
import { MemoryStorage } from '@openauthjs/openauth/storage/memory';
import { createLocalJWKSet, jwtVerify } from 'jose';

const accept = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const auto = {
  type: 'auto',
  init(route, ctx) {
    route.get('/authorize', (c) => ctx.success(c, { id: 'user-1' }));
  },
};
const oa = issuer({
  providers: { auto },
  storage: MemoryStorage(),
  subjects: { user: accept },
  // ChatGPT's redirect URI and loopback (OpenAuth's own default allows only the issuer's domain).
  allow: async ({ redirectURI }) => redirectURI === 'https://chatgpt.com/connector_platform_oauth_redirect' || new URL(redirectURI).hostname === '127.0.0.1',
  success: async (ctx, value) => ctx.subject('user', { id: value.id }),
});

const app = new Hono();
let origin = '';
app.get('/.well-known/oauth-authorization-server', async (c) => {
  const m = await (await oa.fetch(new Request(`${origin}/.well-known/oauth-authorization-server`))).json();
  return c.json({ ...m, code_challenge_methods_supported: ['S256'], grant_types_supported: ['authorization_code', 'refresh_token'], token_endpoint_auth_methods_supported: ['none'] });
});
const prm = (c) => c.json({ resource: `${origin}/mcp`, authorization_servers: [origin] });
app.get('/.well-known/oauth-protected-resource/mcp', prm);
app.get('/.well-known/oauth-protected-resource', prm);
app.post('/mcp', async (c) => {
  const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  const challenge = `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`;
  if (!token) return c.body(null, 401, { 'www-authenticate': challenge });
  try {
    const jwks = await (await oa.fetch(new Request(`${origin}/.well-known/jwks.json`))).json();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: origin });
    if (payload.mode !== 'access') throw new Error('not an access token');
  } catch {
    return c.body(null, 401, { 'www-authenticate': `${challenge}, error="invalid_token"` });
  }
  const msg = await c.req.json().catch(() => ({}));
  if (msg.id === undefined) return c.body(null, 202);
  if (msg.method === 'initialize') return c.json({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params?.protocolVersion ?? '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'openauth-mcp', version: '1' } } });
  if (msg.method === 'tools/list') return c.json({ jsonrpc: '2.0', id: msg.id, result: { tools: [] } });
  return c.json({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
});
app.all('*', (c) => oa.fetch(c.req.raw));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  origin = `http://127.0.0.1:${info.port}`;
  process.stderr.write(`listening ${info.port}\n`);
});
process.on('SIGTERM', () => { server.close(); process.exit(0); });
