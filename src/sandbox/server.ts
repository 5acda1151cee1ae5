/**
 * The embedded reference server: a real, certified authorization server (oidc-provider) plus a
 * protected MCP resource that verifies its JWT access tokens, all on one loopback port.
 *
 * What it offers is what ChatGPT needs: RFC 8414 + OIDC discovery, RFC 9728 metadata, dynamic
 * registration, PKCE S256 (required for public clients), RFC 8707 resource indicators with JWT
 * access tokens bound to the MCP URL, refresh-token rotation and RFC 9207 `iss`.
 *
 * `authorization-server.ts` holds the oidc-provider set-up and which of its settings make the
 * doctor's Security checks pass; `resource.ts` the MCP server and the GPT Action's API; this file
 * the URLs, the keys and the request routing.
 */
import { API_SCOPE, SANDBOX_GPT_ID, USER } from './constants.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK } from 'jose';
import { createAuthorizationServer } from './authorization-server.js';
import { createResources } from './resource.js';
import { send } from './http.js';

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Show a sign-in page instead of approving every authorization at once. */
  loginPage?: boolean;
  /**
   * Show a consent page the first time each client asks (as most hosted providers do for a new
   * client), or on every authorization ('every-time', as some do for third-party clients);
   * without it the signed-in user approves every client at once.
   */
  consentPage?: boolean | 'every-time';
  /** Put the issuer under a path (e.g. "/tenant/oidc"); then only path-append OIDC discovery answers. */
  issuerPath?: string;
  /** Extra pre-registered clients (e.g. a confidential GPT Actions client). */
  clients?: Record<string, unknown>[];
  /** Access token lifetime in seconds. */
  accessTokenTtl?: number;
  /** Secret of the pre-registered GPT Action client (default: random, never printed). */
  gptClientSecret?: string;
  /**
   * Mixed auth mode (Apps SDK): initialize and tools/list without a token; `echo` is public and
   * `whoami` is protected, answering an anonymous call with the `_meta` challenge.
   */
  mixedAuth?: boolean;
  /**
   * The origin clients reach it at, when that is not its own port (a proxy in front: the latency
   * bench puts a delaying TCP proxy there). Issuer, metadata and URLs use it.
   */
  publicOrigin?: string;
  /** Told about every request the sandbox answered (method, path, status, milliseconds). */
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
}

/** The confidential client a custom GPT would use, registered with both ChatGPT callbacks. */
export interface SandboxGptClient {
  clientId: string;
  clientSecret: string;
  gptId: string;
  scope: string;
  authUrl: string;
  tokenUrl: string;
  apiUrl: string;
}

export interface Sandbox {
  origin: string;
  /** The port it listens on (differs from the origin's with `publicOrigin`). */
  port: number;
  issuer: string;
  mcpUrl: string;
  prmUrl: string;
  userId: string;
  gpt: SandboxGptClient;
  close(): Promise<void>;
}

const GPT_ID = SANDBOX_GPT_ID;

export async function startSandbox(o: SandboxOptions = {}): Promise<Sandbox> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const origin = o.publicOrigin ?? `http://127.0.0.1:${port}`;
  const issuerPath = (o.issuerPath ?? '').replace(/\/$/, '');
  const issuer = `${origin}${issuerPath}`;
  const mcpUrl = `${origin}/mcp`;
  const prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const apiUrl = `${origin}/api/me`;
  const gpt: SandboxGptClient = {
    clientId: 'gpt-action-sandbox',
    clientSecret: o.gptClientSecret ?? randomBytes(24).toString('base64url'),
    gptId: GPT_ID,
    scope: API_SCOPE,
    authUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    apiUrl,
  };

  const keys: JWK[] = [];
  for (const alg of ['ES256', 'RS256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `sandbox-${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` });
  }
  const publicKeys = keys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub);
  const verifyKeys = createLocalJWKSet({ keys: publicKeys });

  const { callback, interaction } = createAuthorizationServer({ o, issuer, issuerPath, origin, mcpUrl, apiUrl, gpt, keys });
  const { prm, mcp, api } = createResources({ o, issuer, mcpUrl, prmUrl, apiUrl, verifyKeys });

  server.on('request', (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => {
    if (o.onRequest) {
      const started = performance.now();
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0]!;
      res.once('finish', () => o.onRequest!({ method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }));
    }
    // oidc-provider builds its endpoint URLs from the request's Host (and, with proxy mode,
    // X-Forwarded-*). A deployment pins them at its reverse proxy; the sandbox pins them here, so
    // another Host cannot move the metadata's endpoints (as.issuer-stable, RFC 9700 §4.4).
    req.headers.host = new URL(origin).host;
    for (const h of ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-for', 'forwarded']) delete req.headers[h];
    // A request target the URL parser refuses (e.g. `//[`) gets 400; it must not take the sandbox down.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      return void res.end('Bad request\n');
    }
    const path = url.pathname;
    const handle = async () => {
      if (path === '/mcp') return mcp(req, res);
      if (path === '/api/me') return api(req, res);
      if (path === '/.well-known/oauth-protected-resource/mcp' || path === '/.well-known/oauth-protected-resource') {
        return send(res, 200, 'application/json', prm);
      }
      const im = new RegExp(`^${escapeRe(issuerPath)}/interaction/([\\w-]+)(?:/(login|consent))?$`).exec(path);
      if (im) return interaction(req, res, im[1]!, im[2]);
      if (!issuerPath && path === '/.well-known/oauth-authorization-server') {
        // Same document under the RFC 8414 name, so RFC 8414-only clients find it first.
        req.url = `/.well-known/openid-configuration${url.search}`;
        return callback(req, res);
      }
      if (issuerPath && (path === issuerPath || path.startsWith(`${issuerPath}/`))) {
        req.originalUrl = req.url;
        req.url = req.url!.slice(issuerPath.length) || '/';
        return callback(req, res);
      }
      if (!issuerPath) return callback(req, res);
      return send(res, 404, 'application/json', JSON.stringify({ error: 'not_found' }));
    };
    handle().catch((err: Error) => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'server_error', error_description: err.message }));
      else res.end();
    });
  });

  return {
    origin, port, issuer, mcpUrl, prmUrl, userId: USER, gpt,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
