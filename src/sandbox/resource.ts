/**
 * The sandbox's protected resources: the MCP server (JSON-RPC over POST: `whoami`, and in mixed
 * auth mode a public `echo`; RFC 9728 metadata and the `WWW-Authenticate` challenge that points
 * to it) and the API a custom GPT Action calls. Both accept only the authorization server's JWT
 * access tokens for themselves: its issuer, their own URL as audience, `typ: at+jwt`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jwtVerify, type createLocalJWKSet } from 'jose';
import { VERSION } from '../version.js';
import { MCP_PROTOCOL_VERSION } from '../chatgpt/client.js';
import { SCOPE } from './constants.js';
import { readBody, send } from './http.js';

/** What the resources are built from: the sandbox's options (SandboxOptions), URLs and the authorization server's public keys. */
interface ResourceSetup {
  o: { mixedAuth?: boolean };
  issuer: string;
  mcpUrl: string;
  prmUrl: string;
  apiUrl: string;
  verifyKeys: ReturnType<typeof createLocalJWKSet>;
}

/** The resource metadata document (`prm`) and the handlers of /mcp (`mcp`) and /api/me (`api`). */
export function createResources(s: ResourceSetup) {
  const { o, issuer, mcpUrl, prmUrl, apiUrl, verifyKeys } = s;
  const prm = JSON.stringify({
    resource: mcpUrl,
    authorization_servers: [issuer],
    scopes_supported: [SCOPE],
    bearer_methods_supported: ['header'],
    resource_name: 'gpt-oauth sandbox MCP server',
  });
  const challenge = (error?: string) => `Bearer resource_metadata="${prmUrl}", scope="${SCOPE}"${error ? `, error="${error}"` : ''}`;

  async function mcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' });
      return void res.end();
    }
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const body = await readBody(req, 1024 * 1024).catch(() => undefined);
    let msg: { id?: unknown; method?: string; params?: Record<string, unknown> };
    try {
      msg = JSON.parse(body ?? '');
    } catch {
      return send(res, 400, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
    }
    let sub: string | undefined;
    if (!m) {
      // Mixed auth: the handshake and the tool list are public; protected tools challenge in _meta.
      const open = o.mixedAuth && ['initialize', 'notifications/initialized', 'tools/list', 'ping'].includes(String(msg?.method))
        || (o.mixedAuth && msg?.method === 'tools/call' && (msg.params as { name?: unknown } | undefined)?.name === 'echo');
      if (o.mixedAuth && msg?.method === 'tools/call' && !open) {
        return send(res, 200, 'application/json', JSON.stringify({
          jsonrpc: '2.0', id: msg.id,
          result: { isError: true, content: [{ type: 'text', text: 'Sign in to use whoami.' }], _meta: { 'mcp/www_authenticate': [`${challenge('insufficient_scope')}, error_description="Sign in to use whoami"`] } },
        }));
      }
      if (!open) {
        res.writeHead(401, { 'www-authenticate': challenge(), 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'unauthorized', error_description: 'a bearer token is required' }));
      }
    } else {
      try {
        const { payload } = await jwtVerify(m[1]!, verifyKeys, { issuer, audience: mcpUrl, typ: 'at+jwt', algorithms: ['ES256', 'RS256'] });
        sub = String(payload.sub);
      } catch {
        res.writeHead(401, { 'www-authenticate': challenge('invalid_token'), 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'invalid_token' }));
      }
    }
    if (msg.id === undefined) {
      res.writeHead(202);
      return void res.end();
    }
    const reply = (result: unknown) => send(res, 200, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    switch (msg.method) {
      case 'initialize':
        return reply({
          protocolVersion: typeof msg.params?.protocolVersion === 'string' ? msg.params.protocolVersion : MCP_PROTOCOL_VERSION,
          capabilities: { tools: {} },
          serverInfo: { name: 'gpt-oauth-sandbox', version: VERSION },
        });
      case 'ping':
        return reply({});
      case 'tools/list': {
        const whoami = { name: 'whoami', description: 'Who the access token belongs to', inputSchema: { type: 'object', properties: {} } };
        if (!o.mixedAuth) return reply({ tools: [whoami] });
        return reply({ tools: [
          { name: 'echo', description: 'Echo the input (no sign-in needed)', inputSchema: { type: 'object', properties: { text: { type: 'string' } } }, securitySchemes: [{ type: 'noauth' }] },
          { ...whoami, securitySchemes: [{ type: 'oauth2', scopes: [SCOPE] }] },
        ] });
      }
      case 'tools/call':
        if ((msg.params as { name?: unknown } | undefined)?.name === 'echo') return reply({ content: [{ type: 'text', text: String((msg.params as { arguments?: { text?: unknown } }).arguments?.text ?? '') }] });
        return reply({ content: [{ type: 'text', text: `You are ${sub}.` }] });
      default:
        return send(res, 200, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } }));
    }
  }

  /** The API a custom GPT Action would call: a protected GET. */
  async function api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    try {
      if (!m) throw new Error('no token');
      const { payload } = await jwtVerify(m[1]!, verifyKeys, { issuer, audience: apiUrl, typ: 'at+jwt', algorithms: ['ES256', 'RS256'] });
      return send(res, 200, 'application/json', JSON.stringify({ sub: payload.sub, name: 'Sandbox User' }));
    } catch {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="sandbox-api"${m ? ', error="invalid_token"' : ''}`, 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: 'invalid_token' }));
    }
  }

  return { prm, mcp, api };
}
