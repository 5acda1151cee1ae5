/**
 * A real edge-runtime OAuth library, @cloudflare/workers-oauth-provider, on loopback in Node,
 * with an in-memory KV namespace and a small MCP endpoint as its API handler. By default it
 * revokes every earlier grant of the same user and client when the user authorizes again
 * (`revokeExistingGrants`): codes not yet redeemed, refresh and access tokens.
 *
 * Workers' `cloudflare:workers` module is only used for a class check (WorkerEntrypoint); a
 * resolve hook maps it to an empty class. Run as a child process; prints `listening <port>` and,
 * with NO_DCR=1, `client <id>` (a public client created through the library's helpers, with
 * ChatGPT's redirect URI, and no registration endpoint).
 */
import { register } from 'node:module';
import { createServer } from 'node:http';

register(`data:text/javascript,${encodeURIComponent(`export async function resolve(s, c, next) {
  if (s === 'cloudflare:workers') return { url: 'data:text/javascript,export class WorkerEntrypoint {}', shortCircuit: true };
  return next(s, c);
}`)}`);
const { OAuthProvider, getOAuthApi } = await import('@cloudflare/workers-oauth-provider');

/** Workers KV, in memory: what the library calls of it. */
class MemoryKV {
  m = new Map();
  async get(key, o) {
    const e = this.m.get(key);
    if (!e || (e.exp && e.exp < Date.now())) return null;
    return (typeof o === 'string' ? o : o?.type) === 'json' ? JSON.parse(e.v) : e.v;
  }
  async put(key, value, o) {
    const exp = o?.expirationTtl ? Date.now() + o.expirationTtl * 1000 : o?.expiration ? o.expiration * 1000 : 0;
    this.m.set(key, { v: typeof value === 'string' ? value : String(value), exp });
  }
  async delete(key) { this.m.delete(key); }
  async list({ prefix = '', limit = 1000, cursor } = {}) {
    const keys = [...this.m.keys()].filter((k) => k.startsWith(prefix)).sort();
    const start = cursor ? Number(cursor) : 0;
    const done = start + limit >= keys.length;
    return { keys: keys.slice(start, start + limit).map((name) => ({ name })), list_complete: done, cursor: done ? undefined : String(start + limit) };
  }
}

const noDcr = process.env.NO_DCR === '1';
const json = (v, status = 200) => new Response(JSON.stringify(v), { status, headers: { 'content-type': 'application/json' } });
const options = {
  apiRoute: '/mcp',
  apiHandler: {
    async fetch(request) {
      const msg = await request.json().catch(() => ({}));
      if (msg.id === undefined) return new Response(null, { status: 202 });
      if (msg.method === 'initialize') return json({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params?.protocolVersion ?? '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'workers-oauth-mcp', version: '1' } } });
      if (msg.method === 'tools/list') return json({ jsonrpc: '2.0', id: msg.id, result: { tools: [] } });
      return json({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
    },
  },
  defaultHandler: {
    // The app's own /authorize: the test user is signed in already and approves at once.
    async fetch(request, env) {
      if (new URL(request.url).pathname !== '/authorize') return new Response('not found', { status: 404 });
      const info = await env.OAUTH_PROVIDER.parseAuthRequest(request);
      const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({ request: info, userId: 'user-1', metadata: {}, scope: info.scope, props: { user: 'user-1' } });
      return new Response(null, { status: 302, headers: { location: redirectTo } });
    },
  },
  authorizeEndpoint: '/authorize',
  tokenEndpoint: '/token',
  ...(noDcr ? {} : { clientRegistrationEndpoint: '/register' }),
  scopesSupported: ['mcp'],
};
let provider;
const env = { OAUTH_KV: new MemoryKV() };
const ctx = { waitUntil() {}, passThroughOnException() {} };

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const body = ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks);
      const out = await provider.fetch(new Request(`${origin}${req.url}`, { method: req.method, headers, body }), env, ctx);
      const h = {};
      out.headers.forEach((v, k) => { h[k] = v; });
      res.writeHead(out.status, h);
      res.end(Buffer.from(await out.arrayBuffer()));
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e?.message ?? e));
    }
  });
});
let origin = '';
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  // A Worker's request URL is its route's, whatever Host a client sends.
  origin = `http://127.0.0.1:${port}`;
  // The resource identifier has the port in it: the provider is made once it is known.
  options.resourceMetadata = { resource: `http://127.0.0.1:${port}/mcp`, authorization_servers: [`http://127.0.0.1:${port}`] };
  options.requiredScopes = ['mcp'];
  provider = new OAuthProvider(options);
  if (noDcr) {
    const api = getOAuthApi(options, env);
    const client = await api.createClient({ redirectUris: ['https://chatgpt.com/connector_platform_oauth_redirect'], tokenEndpointAuthMethod: 'none', clientName: 'test' });
    process.stderr.write(`client ${client.clientId}\n`);
  }
  process.stderr.write(`listening ${port}\n`);
});
process.on('SIGTERM', () => { server.close(); process.exit(0); });
