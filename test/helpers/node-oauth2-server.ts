/**
 * A real OAuth server library, @node-oauth/oauth2-server (v5), on loopback with an in-memory
 * model, dynamic registration and a small MCP resource beside it. The library checks every
 * `state` (and client_id) against RFC 6749's VSCHAR and refuses the sign-in otherwise.
 * Registration, metadata and the MCP endpoint are ours (the library has none); authorization,
 * PKCE, codes, tokens and refresh are the library's.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import OAuth2Server from '@node-oauth/oauth2-server';

const { Request, Response } = OAuth2Server;

interface Client { id: string; redirectUris: string[]; grants: string[] }

export async function startStrictStateServer(): Promise<{ mcpUrl: string; stateAccepted(state: string): Promise<boolean>; close(): Promise<void> }> {
  const clients = new Map<string, Client>();
  const codes = new Map<string, Record<string, unknown>>();
  const tokens = new Map<string, Record<string, unknown>>();
  const refresh = new Map<string, Record<string, unknown>>();
  const user = { id: 'user-1' };
  const model = {
    getClient: async (id: string) => clients.get(id) ?? null,
    saveAuthorizationCode: async (code: Record<string, unknown>, client: Client, u: object) => {
      const saved = { ...code, client, user: u };
      codes.set(code.authorizationCode as string, saved);
      return saved;
    },
    getAuthorizationCode: async (code: string) => codes.get(code) ?? null,
    revokeAuthorizationCode: async (code: { authorizationCode: string }) => codes.delete(code.authorizationCode),
    saveToken: async (token: Record<string, unknown>, client: Client, u: object) => {
      const saved = { ...token, client, user: u };
      tokens.set(token.accessToken as string, saved);
      if (token.refreshToken) refresh.set(token.refreshToken as string, saved);
      return saved;
    },
    getAccessToken: async (t: string) => tokens.get(t) ?? null,
    getRefreshToken: async (t: string) => refresh.get(t) ?? null,
    revokeToken: async (t: { refreshToken: string }) => refresh.delete(t.refreshToken),
    validateScope: async (_u: object, _c: Client, scope?: string[]) => scope ?? ['mcp'],
    verifyScope: async () => true,
  };
  const oauth = new OAuth2Server({ model: model as never, requireClientAuthentication: { authorization_code: false, refresh_token: false }, allowEmptyState: false });

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { handle(req, res, body).catch(() => { if (!res.headersSent) { res.writeHead(500); res.end(); } }); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };
  const send = (res: ServerResponse, r: InstanceType<typeof Response>) => {
    // The library leaves the content type to its framework adapter (express-oauth-server does res.json).
    res.writeHead(r.status ?? 200, { ...(r.body && typeof r.body === 'object' ? { 'content-type': 'application/json' } : {}), ...r.headers as Record<string, string> });
    res.end(r.body && typeof r.body === 'object' ? JSON.stringify(r.body) : '');
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const p = url.pathname;
    if (p === '/.well-known/oauth-protected-resource/mcp' || p === '/.well-known/oauth-protected-resource') {
      return json(res, 200, { resource: `${origin}/mcp`, authorization_servers: [origin], scopes_supported: ['mcp'] });
    }
    if (p === '/.well-known/oauth-authorization-server') {
      return json(res, 200, {
        issuer: origin, authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, registration_endpoint: `${origin}/register`,
        scopes_supported: ['mcp'], response_types_supported: ['code'], grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['none'],
      });
    }
    if (p === '/register' && req.method === 'POST') {
      const m = JSON.parse(body || '{}') as { redirect_uris?: string[] };
      const uris = (m.redirect_uris ?? []).filter((u) => /^https:\/\/|^http:\/\/127\.0\.0\.1[:/]/.test(u));
      if (!uris.length) return json(res, 400, { error: 'invalid_redirect_uri' });
      const id = `client-${randomBytes(8).toString('hex')}`;
      clients.set(id, { id, redirectUris: uris, grants: ['authorization_code', 'refresh_token'] });
      return json(res, 201, { client_id: id, redirect_uris: uris, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] });
    }
    if (p === '/authorize' && req.method === 'GET') {
      const request = new Request({ method: 'GET', query: Object.fromEntries(url.searchParams), headers: { ...req.headers } as Record<string, string>, body: {} });
      const response = new Response({ headers: {} });
      try {
        // The test user is signed in already (no login page), so --login auto can drive it.
        await oauth.authorize(request, response, { authenticateHandler: { handle: () => user } });
      } catch {
        if (!response.headers?.location) return json(res, 400, { error: 'invalid_request' });
      }
      return send(res, response);
    }
    if (p === '/token' && req.method === 'POST') {
      const request = new Request({ method: 'POST', query: {}, headers: { ...req.headers } as Record<string, string>, body: Object.fromEntries(new URLSearchParams(body)) });
      const response = new Response({ headers: {} });
      await oauth.token(request, response).catch(() => undefined);
      return send(res, response);
    }
    if (p === '/mcp' && req.method === 'POST') {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const challenge = `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`;
      const t = token ? tokens.get(token) : undefined;
      if (!t || (t.accessTokenExpiresAt as Date) < new Date()) {
        res.writeHead(401, { 'www-authenticate': token ? `${challenge}, error="invalid_token"` : challenge });
        return void res.end();
      }
      const msg = JSON.parse(body || '{}') as { id?: unknown; method?: string; params?: { protocolVersion?: string } };
      if (msg.id === undefined) { res.writeHead(202); return void res.end(); }
      if (msg.method === 'initialize') return json(res, 200, { jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params?.protocolVersion ?? '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'oauth2-server-mcp', version: '1' } } });
      if (msg.method === 'tools/list') return json(res, 200, { jsonrpc: '2.0', id: msg.id, result: { tools: [] } });
      return json(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
    }
    json(res, 404, { error: 'not_found' });
  }

  return {
    mcpUrl: `${origin}/mcp`,
    async stateAccepted(state: string) {
      const id = `client-probe-${randomBytes(4).toString('hex')}`;
      clients.set(id, { id, redirectUris: ['https://example.com/cb'], grants: ['authorization_code'] });
      const q = new URLSearchParams({ response_type: 'code', client_id: id, redirect_uri: 'https://example.com/cb', state, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
      const r = await fetch(`${origin}/authorize?${q}`, { redirect: 'manual' });
      return new URL(r.headers.get('location') ?? 'x:', origin).searchParams.has('code');
    },
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
