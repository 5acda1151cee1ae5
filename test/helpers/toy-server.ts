/**
 * A deliberately breakable authorization server + MCP resource, written for the tests. With no
 * flags it behaves correctly (the doctor passes everything); each flag switches on one failure
 * mode of the catalog, so a test can assert the exact check id that fails.
 *
 * It records every secret value it issues or receives, so tests can grep the doctor's outputs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { clientMetadataDocument } from '../../src/chatgpt/client.js';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, createLocalJWKSet, type JWK } from 'jose';

export interface ToyFlags {
  challenge?: 'ok' | 'anonymous-ok' | 'no-resource-metadata';
  /** The path the 401 challenge's resource_metadata names (default: the path-suffixed well-known URL, which serves). */
  challengeMetadataPath?: string;
  prm?: 'ok' | 'html';
  /** Appended to the MCP URL in the PRM `resource` (e.g. '/'). */
  prmResourceSuffix?: string;
  asMetadata?: 'ok' | '404' | 'huge';
  issuerSuffix?: string;
  dropMeta?: string[];
  /**
   * The fuzzer's hook: the toy's sound answer, buffered, is handed to `respond`, which writes
   * what the client really gets (a mutation of it) to `res`.
   */
  respond?: (req: ToyRequest, sound: Buffered, res: ServerResponse) => void | Promise<void>;
  /**
   * A client secret in every registration response, made by this function: a confidential
   * client's (instead of `cs_` and 32 hex digits), and one a public client gets but never needs
   * (as servers that issue a secret to every client do).
   */
  dcrSecret?: () => string;
  /** Members set (or replaced) in the AS metadata, of any JSON type. */
  metaPatch?: Record<string, unknown>;
  jwks?: 'ok' | 'private' | 'dup-kid' | 'hang';
  dcr?: 'ok' | 'wrong-method';
  dcrUnsafe?: 'refuse' | 'accept';
  /**
   * Public registrations answered with the client an earlier one got: `metadata` when the whole
   * body is the same (Stytch's documented deduplication), `redirects` when the redirect URIs are.
   */
  dedupRegistrations?: 'metadata' | 'redirects';
  redirectCheck?: 'exact' | 'none' | 'ignore-query';
  /**
   * truncate: 255 characters come back; rewrite: "~" comes back as "%7E"-decoded "_" (a
   * normaliser); replace: a state of the server's own comes back (nothing of the one sent).
   */
  stateMode?: 'ok' | 'truncate' | 'rewrite' | 'replace';
  /** missing: advertised but not sent; unsupported: neither advertised nor sent. */
  iss?: 'ok' | 'missing' | 'unsupported';
  authorizeLoop?: boolean;
  pkce?: 'enforce' | 'optional' | 'unchecked';
  /**
   * true: a used code is redeemed again; 'forgets-pkce': no record of used codes, but the PKCE
   * challenge is dropped on first use (a replay with the verifier is refused for PKCE, one
   * without it gets tokens).
   */
  codeReuse?: boolean | 'forgets-pkce';
  /** A code presented by another client is refused and ended (sound). */
  codeEndsOnMisuse?: boolean;
  /** A replayed code is refused, but the tokens issued from its first redemption stay valid. */
  codeReplayKeepsTokens?: boolean;
  redirectBinding?: boolean;
  tokenFormat?: 'jwt' | 'opaque' | 'malformed';
  aud?: 'resource' | 'other';
  expiresIn?: 'number' | 'string';
  noStore?: boolean;
  grantedScope?: 'all' | 'subset';
  tokenErrors?: 'json' | 'html';
  /**
   * rotate: rotation with reuse detection (a replay revokes the family); none: no refresh token;
   * same: the same refresh token again; old-valid: the previous one keeps minting tokens;
   * no-family-revoke: a replay is refused but the newest keeps working; grace-identical: a replay
   * within the window returns the identical earlier response; refuse: the refresh grant fails;
   * once: a refresh returns an access token and no refresh token, and revokes the one it used
   * (Authlib's default), so the second refresh fails; rotated-broken: a new refresh token is
   * returned but never stored, so the next refresh with it fails.
   */
  refresh?: 'rotate' | 'none' | 'same' | 'old-valid' | 'no-family-revoke' | 'grace-identical' | 'refuse' | 'once' | 'rotated-broken';
  refreshAud?: 'resource' | 'other';
  /** From the n-th refresh of a grant on, the refreshed access token is for another audience (the MCP server refuses it). */
  refreshAudFrom?: number;
  /** The authorization endpoint answers every registered client with error=unauthorized_client (a client store it does not share with registration). */
  authorizeRefusesRegistered?: boolean;
  signWrongKey?: boolean;
  /** requireScopes: a token without every resource scope gets 403 insufficient_scope. */
  rs?: { rejectValid?: boolean; acceptGarbage?: boolean; acceptNone?: boolean; acceptTampered?: boolean; invalidStatus?: number; ignoreAudience?: boolean; stepUp?: string; acceptRefresh?: boolean; requireScopes?: boolean; emptyBearerError?: string };
  /** Advertise the OIDC scopes openid, profile and email (ChatGPT then requests them). */
  oidcScopes?: boolean;
  /** all: every requested scope; subset: only the first; no-oidc: all but the OIDC scopes (like oidc-provider with resource indicators). */
  grantedScopeMode?: 'no-oidc';
  /** Advertise CIMD next to DCR (ChatGPT then prefers CIMD). */
  cimdBoth?: boolean;
  /** The AS refuses ChatGPT's client metadata document (error=invalid_client). */
  cimdReject?: boolean;
  /** The AS wants ChatGPT's private_key_jwt assertion at the token endpoint for the CIMD client. */
  cimdPrivateKeyJwt?: boolean;
  /** The token endpoint refuses the CIMD client's code (invalid_grant) although /authorize accepted it. */
  cimdTokenRefused?: boolean;
  /** Refuse authorization requests without `scope` (ChatGPT's reconnect sends none). */
  scopeRequired?: boolean;
  /** Answer MCP `server/discover` with this HTTP status. */
  discoverStatus?: number;
  /** Registration accepts only the stable connector redirect (and loopback). */
  stableRedirectOnly?: boolean;
  /** Mixed auth mode (Apps SDK): public initialize/tools/list, a protected tool; `no-meta`: its unauthenticated call carries no _meta challenge. */
  mixed?: 'ok' | 'no-meta';
  /** Answer `Accept: application/json` on /authorize with 200 JSON instead of the redirect (as a widely used auth framework does). */
  authorizeJsonOnAccept?: boolean;
  /** gzip every metadata document. */
  gzipMetadata?: boolean;
  /** Send the 401 challenge as `Negotiate, NTLM, Bearer resource_metadata=…`. */
  multiChallenge?: boolean;
  /** Every path answers 200 text/html (a single-page app's fallback route). */
  spa?: boolean;
  /** The token endpoint answers a 2 MiB body. */
  hugeToken?: boolean;
  /** Put terminal and report injection text (ESC, OSC 8, BEL, CR, C1, bidi, Markdown) in every field it can. */
  evilText?: boolean;
  /** Security faults (RFC 9700 / OAuth 2.1 negative tests). */
  pkcePublicOptional?: boolean;
  pkceDowngrade?: boolean;
  /** Honour code_challenge_method=plain (while advertising S256 only). */
  pkcePlain?: boolean;
  clientAuth?: 'ignore-secret';
  codeBinding?: false;
  refreshBinding?: false;
  refreshAcceptsAccess?: boolean;
  implicit?: boolean;
  hostFromHeader?: boolean;
  longLived?: boolean;
  tokenErrorCodes?: 'wrong';
  /** invalid-grant: the token endpoint refuses every authorization code. */
  codeExchange?: 'invalid-grant';
  /** Sign access tokens with HS256 and a secret the MCP server shares. */
  symmetric?: boolean;
  /** Pre-registered confidential client; `auth` says where its secret is accepted (default both). */
  client?: { id: string; secret: string; redirectUris?: string[]; auth?: 'post' | 'basic' | 'both' };
  /** Refuse authorization requests without code_challenge. */
  pkceRequired?: boolean;
  tokenResponseFormat?: 'json' | 'form';
  api?: 'ok' | 'accepts-any';
  /** Serve a retired ChatGPT plugin manifest at /.well-known/ai-plugin.json. */
  plugin?: boolean;
  /** Answer requests whose path matches with a hostile response instead. */
  hostile?: { path: RegExp; kind: Hostile };
  /** Override the jwks_uri in the metadata. */
  jwksUri?: string;
  /** Put a jku header pointing at the toy's /jku into issued JWTs. */
  jku?: boolean;
  /** Offer client ID metadata documents instead of dynamic registration. */
  cimdOnly?: boolean;
  /** Bot protection: answer User-Agents matching this with a Cloudflare-style 403 challenge page. */
  blockUserAgent?: RegExp;
  /**
   * Sound behaviours the doctor must not mistake for faults (issue "measure without disturbing"):
   * reauthRevokes: authorizing a client again revokes every earlier grant of that client (codes
   * not yet redeemed, refresh and access tokens), as @cloudflare/workers-oauth-provider does by
   * default; pendingCookie: /authorize keeps the pending request in a cookie and a second page
   * issues the code (an unknown-state error page without it); replayRevokesAll: a replayed code
   * or refresh token revokes every grant of the user (an OAuth proxy sharing one upstream grant);
   * refreshRevokesAccess: a refresh revokes the access token it replaces.
   */
  reauthRevokes?: boolean;
  /** Any new authorization ends every grant of the user (not modelled by the doctor: re-checks clear it). */
  reauthRevokesUser?: boolean;
  pendingCookie?: boolean;
  replayRevokesAll?: boolean;
  refreshRevokesAccess?: boolean;
  /**
   * Refuse every request parameter that breaks its ABNF (RFC 6749 Appendix A: state, client_id
   * and scope-token; RFC 7636 §4.1/4.2: code_verifier, code_challenge; RFC 8707 §2: resource),
   * as widely used server libraries do.
   */
  strictSyntax?: boolean;
  /** Delay every answer by a random 0..jitterMs ms. */
  jitterMs?: number;
  /** Treat any unknown client_id as a public client (an issuer library without client registry). */
  anyClientId?: boolean;
  /**
   * A debugging server: every token error and every refused bearer token quotes the request —
   * the body, its values, the form as JSON, that JSON quoted again, HTML-escaped, and the
   * Authorization header with its Basic credential decoded.
   */
  echo?: boolean;
}

export type Hostile = 'wrong-content-type' | 'truncated-json' | 'deep-json' | 'many-keys' | 'huge-headers' | 'slow-drip'
  | 'reset-mid-body' | 'redirect-other-host' | 'redirect-private' | 'ansi-error';

/** What a hostile server puts into every string: escapes, a hyperlink, clear-screen, BEL, CR, C1, bidi and Markdown. */
export const EVIL = '\u001b[31mRED\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\u001b[2J\u0007\r\u0085\u202eoverride\u202c[link](https://evil.example) ![img](https://evil.example/x.png) **bold** <b>html</b>';

export interface Toy {
  origin: string;
  /** Every path requested, in order. */
  requests: string[];
  mcpUrl: string;
  /** Every code, token, secret, verifier and state the server issued or received. */
  secrets: Set<string>;
  close(): Promise<void>;
}

const SCOPES = ['mcp:read', 'mcp:write'];

/** A request as the toy received it (for ToyFlags.respond). */
export interface ToyRequest { method: string; path: string; query: string; body: string; authorization?: string }

/** A response as the toy wrote it. */
export interface Buffered { status: number; headers: Record<string, string>; body: Buffer }

/** A stand-in ServerResponse that records what the toy writes (for ToyFlags.respond). */
function bufferingResponse(): { res: ServerResponse; done: Promise<Buffered> } {
  const out: Buffered = { status: 200, headers: {}, body: Buffer.alloc(0) };
  const parts: Buffer[] = [];
  let finish!: (b: Buffered) => void;
  const done = new Promise<Buffered>((r) => { finish = r; });
  const fake = {
    headersSent: false,
    socket: { destroy: () => { out.body = Buffer.concat(parts); finish(out); } },
    writeHead(status: number, headers: Record<string, string | string[]> = {}) {
      out.status = status;
      for (const [k, v] of Object.entries(headers)) out.headers[k.toLowerCase()] = [v].flat().join(', ');
      fake.headersSent = true;
      return fake;
    },
    write(c: string | Buffer) { parts.push(Buffer.from(c)); return true; },
    end(c?: string | Buffer) { if (c !== undefined) parts.push(Buffer.from(c)); out.body = Buffer.concat(parts); finish(out); return fake; },
    on() { return fake; },
    once() { return fake; },
  };
  return { res: fake as unknown as ServerResponse, done };
}

export async function startToy(flags: ToyFlags = {}): Promise<Toy> {
  const f = { redirectBinding: true, noStore: true, ...flags };
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const issuer = origin;
  const mcpUrl = `${origin}/mcp`;
  const registered = new Map<string, string>();
  const secrets = new Set<string>();
  const requests: string[] = [];
  const remember = (v: string | undefined | null) => { if (v) secrets.add(v); return v; };

  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const wrong = await generateKeyPair('ES256', { extractable: true });
  const pub: JWK = { ...(await exportJWK(publicKey)), kid: 'toy-1', alg: 'ES256', use: 'sig' };
  const priv: JWK = { ...(await exportJWK(privateKey)), kid: 'toy-1', alg: 'ES256', use: 'sig' };
  const verifyKeys = createLocalJWKSet({ keys: [pub] });

  const clients = new Map<string, { redirectUris: string[]; secret?: string }>();
  // As if the server had fetched ChatGPT's client ID metadata document (no network in tests).
  if ((flags.cimdOnly || flags.cimdBoth) && !flags.cimdReject) {
    const doc = clientMetadataDocument();
    clients.set(doc.client_id as string, { redirectUris: doc.redirect_uris as string[] });
  }
  if (f.client) clients.set(f.client.id, { redirectUris: f.client.redirectUris ?? ['https://chatgpt.com/connector_platform_oauth_redirect'], secret: f.client.secret });
  const codes = new Map<string, { clientId: string; redirectUri: string; challenge?: string; plain?: boolean; scope: string; used: boolean; grant: string }>();
  /** How many refreshes each grant (family) has made. */
  const refreshes = new Map<string, number>();
  const refreshTokens = new Map<string, { clientId: string; scope: string; valid: boolean; family: string; answer?: Record<string, unknown>; access?: string }>();
  /** Grants (one per authorization) and whether each is still alive; every code and token belongs to one. */
  const grants = new Map<string, { clientId: string; alive: boolean }>();
  const accessGrant = new Map<string, string>();
  const revokedAccess = new Set<string>();
  const alive = (grant: string | undefined) => !grant || grants.get(grant)?.alive !== false;
  const revokeAll = (clientId?: string) => { for (const g of grants.values()) if (clientId === undefined || g.clientId === clientId) g.alive = false; };
  const VSCHAR = /^[\x20-\x7e]*$/;
  const UNRESERVED_43_128 = /^[A-Za-z0-9\-._~]{43,128}$/;
  /** The first parameter that breaks its grammar (strictSyntax), or undefined. */
  const syntaxError = (q: URLSearchParams): string | undefined => {
    if (!f.strictSyntax) return undefined;
    for (const k of ['state', 'client_id', 'redirect_uri', 'nonce']) if (q.has(k) && !VSCHAR.test(q.get(k)!)) return `${k} must be VSCHAR (RFC 6749 Appendix A)`;
    if (q.has('scope') && !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(q.get('scope')!)) return 'scope must be scope-tokens of NQCHAR separated by single spaces (RFC 6749 §3.3)';
    if (q.has('code_challenge') && !UNRESERVED_43_128.test(q.get('code_challenge')!)) return 'code_challenge must be 43-128 unreserved characters (RFC 7636 §4.2)';
    if (q.has('code_verifier') && !UNRESERVED_43_128.test(q.get('code_verifier')!)) return 'code_verifier must be 43-128 unreserved characters (RFC 7636 §4.1)';
    for (const r of q.getAll('resource')) {
      try { if (new URL(r).hash || r.includes('#')) return 'resource must not have a fragment (RFC 8707 §2)'; } catch { return 'resource must be an absolute URI (RFC 8707 §2)'; }
    }
    return undefined;
  };
  const hsKey = new TextEncoder().encode(randomBytes(32).toString('hex'));
  const opaque = new Set<string>();

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  let echoed = '';
  const echoOf = (body: string, auth: string | undefined): string => {
    const form = Object.fromEntries(new URLSearchParams(body));
    const j = JSON.stringify(form);
    const html = j.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const basic = /^Basic\s+(\S+)$/i.exec(auth ?? '')?.[1];
    return ` debug: body=${body} values=${Object.values(form).join(' ')} json=${j} quoted=${JSON.stringify(j)} html=${html} authorization=${auth ?? ''} basic=${basic ? Buffer.from(basic, 'base64').toString() : ''}`;
  };
  const tokenError = (res: ServerResponse, error: string, rawDescription: string) => {
    const description = `${f.evilText ? `${rawDescription} ${EVIL}` : rawDescription}${echoed}`;
    if (f.tokenErrors === 'html') {
      res.writeHead(400, { 'content-type': 'text/html' });
      return void res.end(`<html><body><h1>Bad Request</h1><p>${description}</p></body></html>`);
    }
    json(res, 400, { error, error_description: description }, { 'cache-control': 'no-store' });
  };

  async function accessToken(scope: string, audience: string): Promise<string> {
    if (f.tokenFormat === 'opaque') {
      const t = `opaque_${randomBytes(24).toString('hex')}`;
      opaque.add(t);
      return remember(t)!;
    }
    if (f.tokenFormat === 'malformed') return remember(`eyJhbGciOiJFUzI1NiJ9.not-base64-json!.${randomBytes(8).toString('hex')}`)!;
    const key = f.symmetric ? hsKey : f.signWrongKey ? wrong.privateKey : privateKey;
    const t = await new SignJWT({ scope, client_id: 'toy' })
      .setProtectedHeader({ alg: f.symmetric ? 'HS256' : 'ES256', kid: 'toy-1', typ: 'at+jwt', ...(f.jku ? { jku: `${origin}/jku` } : {}) })
      .setIssuer(issuer).setAudience(audience).setSubject('toy-user')
      .setIssuedAt().setExpirationTime(f.longLived ? '48h' : '1h').setJti(randomBytes(8).toString('hex'))
      .sign(key);
    return remember(t)!;
  }

  async function issueTokens(res: ServerResponse, clientId: string, scope: string, audience: string, withRefresh: boolean, family = randomBytes(8).toString('hex'), replaced?: string): Promise<Record<string, unknown> | undefined> {
    const granted = f.grantedScope === 'subset' ? scope.split(' ').slice(0, 1).join(' ')
      : f.grantedScopeMode === 'no-oidc' ? scope.split(' ').filter((x) => !['openid', 'profile', 'email'].includes(x)).join(' ') : scope;
    const body: Record<string, unknown> = {
      access_token: await accessToken(granted, audience),
      token_type: 'Bearer',
      expires_in: f.expiresIn === 'string' ? '3600' : f.longLived ? 172800 : 3600,
      scope: granted,
    };
    accessGrant.set(body.access_token as string, family);
    if (replaced && f.refreshRevokesAccess) revokedAccess.add(replaced);
    if (withRefresh && f.refresh !== 'none') {
      const rt = remember(`rt_${randomBytes(24).toString('hex')}`)!;
      refreshTokens.set(rt, { clientId, scope, valid: true, family, access: body.access_token as string });
      body.refresh_token = rt;
    }
    if (f.tokenResponseFormat === 'form') {
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' });
      res.end(new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString());
      return body;
    }
    json(res, 200, body, f.noStore ? { 'cache-control': 'no-store' } : {});
    return body;
  }

  function asMetadata(host?: string): Record<string, unknown> {
    // hostFromHeader: endpoints follow the request's Host, as a misconfigured framework does.
    const base = f.hostFromHeader && host ? `http://${host}` : origin;
    const m: Record<string, unknown> = {
      issuer: `${issuer}${f.issuerSuffix ?? ''}`,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      registration_endpoint: `${base}/register`,
      jwks_uri: f.jwksUri ?? `${origin}/jwks`,
      scopes_supported: [...SCOPES, ...(f.oidcScopes ? ['openid', 'profile', 'email'] : []), 'offline_access'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_post'],
      authorization_response_iss_parameter_supported: true,
    };
    if (f.cimdOnly) delete m.registration_endpoint;
    if (f.cimdOnly || f.cimdBoth) m.client_id_metadata_document_supported = true;
    if (f.iss === 'unsupported') delete m.authorization_response_iss_parameter_supported;
    for (const k of f.dropMeta ?? []) delete m[k];
    Object.assign(m, f.metaPatch);
    return m;
  }

  async function mcp(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const challenge = `Bearer resource_metadata="${origin}${f.challengeMetadataPath ?? '/.well-known/oauth-protected-resource/mcp'}"${f.evilText ? ', error_description="[link](https://evil.example) **bold** \u0085"' : ''}`;
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const unauthorized = () => {
      if (f.rs?.invalidStatus) return json(res, f.rs.invalidStatus, { error: 'server_error' });
      if (f.echo) {
        res.writeHead(401, { 'www-authenticate': `${challenge}, error="invalid_token"`, 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'invalid_token', error_description: `refused${echoOf(body, req.headers.authorization)}` }));
      }
      res.writeHead(401, f.challenge === 'no-resource-metadata' ? { 'www-authenticate': 'Bearer' } : { 'www-authenticate': `${challenge}, error="invalid_token"` });
      res.end();
    };
    let ok = false;
    const msg0 = (() => { try { return JSON.parse(body || '{}'); } catch { return {}; } })();
    const publicMethod = f.mixed && ['initialize', 'notifications/initialized', 'tools/list'].includes(msg0.method);
    if (!token && f.rs?.emptyBearerError && /^Bearer\s*$/i.test(req.headers.authorization ?? '')) {
      res.writeHead(401, { 'www-authenticate': `${challenge}, error="${f.rs.emptyBearerError}"` });
      return void res.end();
    }
    if (!token) {
      if (f.mixed && msg0.method === 'tools/call') {
        // Mixed auth: a protected tool answers with the challenge in _meta (Apps SDK).
        const result = { isError: true, content: [{ type: 'text', text: 'Sign in to use whoami' }],
          ...(f.mixed === 'no-meta' ? {} : { _meta: { 'mcp/www_authenticate': [`${challenge}, error="insufficient_scope", error_description="Sign in to use whoami"`] } }) };
        return json(res, 200, { jsonrpc: '2.0', id: msg0.id, result });
      }
      if (f.challenge !== 'anonymous-ok' && !publicMethod) {
        res.writeHead(401, { 'www-authenticate': f.challenge === 'no-resource-metadata' ? 'Bearer' : f.multiChallenge ? `Negotiate, NTLM, ${challenge}` : challenge });
        return void res.end();
      }
      ok = true;
    } else if (revokedAccess.has(token) || !alive(accessGrant.get(token))) {
      ok = false;
    } else if (opaque.has(token)) {
      ok = true;
    } else if (token.startsWith('gpt-oauth-invalid-')) {
      ok = !!f.rs?.acceptGarbage;
    } else if (refreshTokens.has(token)) {
      ok = !!f.rs?.acceptRefresh;
    } else {
      let header: { alg?: string } = {};
      try { header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString() || '{}'); } catch { /* not a JWT */ }
      if (header.alg === 'none') ok = !!f.rs?.acceptNone;
      else {
        try {
          const { payload } = f.symmetric ? await jwtVerify(token, hsKey, { issuer }) : await jwtVerify(token, verifyKeys, { issuer });
          const aud = [payload.aud ?? []].flat();
          ok = !f.rs?.rejectValid && (!!f.rs?.ignoreAudience || aud.includes(mcpUrl));
          if (ok && f.rs?.requireScopes && !SCOPES.every((x) => String(payload.scope ?? '').split(' ').includes(x))) {
            res.writeHead(403, { 'www-authenticate': `${challenge}, error="insufficient_scope", scope="${SCOPES.join(' ')}"` });
            return void res.end();
          }
          if (ok && f.rs?.stepUp && !String(payload.scope ?? '').split(' ').includes(f.rs.stepUp)) {
            res.writeHead(403, { 'www-authenticate': `${challenge}, error="insufficient_scope", scope="${[...SCOPES, f.rs.stepUp].join(' ')}"` });
            return void res.end();
          }
        } catch {
          // A signature that does not verify: a tampered token, unless the RS is broken.
          ok = !!f.rs?.acceptTampered;
        }
      }
    }
    if (!ok) return unauthorized();
    const msg = JSON.parse(body || '{}');
    if (msg.id === undefined) { res.writeHead(202); return void res.end(); }
    if (msg.method === 'server/discover') {
      if (f.discoverStatus) return json(res, f.discoverStatus, { error: 'server_error' });
      return json(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
    }
    const tools = f.mixed
      ? [{ name: 'echo', inputSchema: { type: 'object' }, securitySchemes: [{ type: 'noauth' }] },
        { name: 'whoami', inputSchema: { type: 'object' }, securitySchemes: [{ type: 'oauth2', scopes: SCOPES }] }]
      : [{ name: 'echo', inputSchema: { type: 'object' } }];
    const result = msg.method === 'initialize'
      ? { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'toy', version: '1' } }
      : msg.method === 'tools/list' ? { tools }
        : msg.method === 'tools/call' ? { content: [{ type: 'text', text: 'toy-user' }] } : {};
    // Streamable HTTP with an SSE response, as many SDK servers answer.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'toy-session' });
    res.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result })}\n\n`);
  }

  server.on('request', (req, real) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // respond: the sound answer is buffered, then handed over (see ToyFlags.respond).
      const buffered = f.respond ? bufferingResponse() : undefined;
      const res = buffered?.res ?? real;
      // jitterMs: answers arrive in a different order each run, as over a real network.
      const wait = f.jitterMs ? new Promise((r) => setTimeout(r, Math.random() * f.jitterMs!)) : Promise.resolve();
      const body = Buffer.concat(chunks).toString();
      wait.then(() => handle(req, res, body)).catch((e: Error) => {
        if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: e.message });
      }).then(async () => {
        if (!buffered) return;
        const url = new URL(req.url ?? '/', 'http://x');
        await f.respond!({ method: req.method ?? 'GET', path: url.pathname, query: url.search, body, authorization: req.headers.authorization }, await buffered.done, real);
      }).catch(() => real.destroy());
    });
  });

  function hostile(res: ServerResponse, kind: Hostile): void {
    switch (kind) {
      case 'wrong-content-type':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end(JSON.stringify({ resource: mcpUrl, authorization_servers: [issuer] }));
      case 'truncated-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"resource": "http://127.0.0.1/mcp", "authorization_servers": ["htt');
      case 'deep-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
      case 'many-keys': {
        const keys = Array.from({ length: 10_000 }, (_, i) => ({ kty: 'EC', kid: `k${i}` }));
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ keys }));
      }
      case 'huge-headers':
        res.writeHead(200, { 'content-type': 'application/json', 'x-padding': 'a'.repeat(200_000) });
        return void res.end('{}');
      case 'slow-drip': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const t = setInterval(() => res.write(' '), 300);
        res.on('close', () => clearInterval(t));
        return;
      }
      case 'reset-mid-body':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"resource": "');
        return void setTimeout(() => res.socket?.destroy(), 50);
      case 'redirect-other-host':
        res.writeHead(302, { location: 'https://attacker.example/.well-known/oauth-protected-resource' });
        return void res.end();
      case 'redirect-private':
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' });
        return void res.end();
      case 'ansi-error':
        res.writeHead(400, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'invalid_grant', error_description: '\u001b[2J\u001b[31mYOUR TERMINAL IS MINE\u001b]8;;https://attacker.example\u0007click\u001b]8;;\u0007\r\nFAKE ✓ all checks passed' }));
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const p = url.pathname;
    requests.push(p);
    if (f.spa) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<!doctype html><html><head><title>My App</title></head><body><div id="root"></div></body></html>');
    }
    if (f.blockUserAgent?.test(req.headers['user-agent'] ?? '')) {
      res.writeHead(403, { 'content-type': 'text/html; charset=UTF-8', server: 'cloudflare', 'cf-mitigated': 'challenge' });
      return void res.end('<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>');
    }
    if (f.hostile && f.hostile.path.test(p)) return hostile(res, f.hostile.kind);
    if (p === '/mcp') return mcp(req, res, body);
    if (p === '/.well-known/oauth-protected-resource' || p === '/.well-known/oauth-protected-resource/mcp') {
      if (f.prm === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<!doctype html><html><head><title>My App</title></head><body><div id="root"></div></body></html>');
      }
      return json(res, 200, { resource: `${mcpUrl}${f.prmResourceSuffix ?? ''}`, authorization_servers: [issuer], scopes_supported: SCOPES });
    }
    if (p === '/.well-known/oauth-authorization-server' || p === '/.well-known/openid-configuration') {
      if (f.asMetadata === '404') return json(res, 404, { error: 'not_found' });
      if (f.asMetadata === 'huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 50 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => { sent = Infinity; });
        return pump();
      }
      if (f.gzipMetadata) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return void res.end(gzipSync(JSON.stringify(asMetadata())));
      }
      return json(res, 200, asMetadata(req.headers.host));
    }
    if (p === '/jwks') {
      if (f.jwks === 'hang') return; // never answers
      if (f.jwks === 'private') return json(res, 200, { keys: [priv] });
      if (f.jwks === 'dup-kid') return json(res, 200, { keys: [pub, { ...pub, x: pub.y, y: pub.x }] });
      return json(res, 200, { keys: [pub] });
    }
    if (p === '/register' && req.method === 'POST') {
      const m = JSON.parse(body);
      const uris: string[] = m.redirect_uris ?? [];
      const unsafe = uris.some((u) => !/^https:|^http:\/\/127\.0\.0\.1/.test(u));
      if (f.stableRedirectOnly && uris.some((u) => u !== 'https://chatgpt.com/connector_platform_oauth_redirect' && !u.startsWith('http://127.0.0.1'))) {
        return json(res, 400, { error: 'invalid_redirect_uri', error_description: 'only the ChatGPT connector redirect is allowed' });
      }
      if (unsafe && f.dcrUnsafe !== 'accept') return json(res, 400, { error: 'invalid_redirect_uri', error_description: 'redirect_uris must be https' });
      if (f.strictSyntax) {
        // RFC 7591 §2: strings where strings belong, arrays of strings where arrays, URIs without fragments.
        const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
        const bad = !strings(m.redirect_uris) || (m.grant_types !== undefined && !strings(m.grant_types)) || (m.response_types !== undefined && !strings(m.response_types))
          || (m.client_name !== undefined && typeof m.client_name !== 'string') || (m.scope !== undefined && (typeof m.scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(m.scope)))
          || uris.some((u) => u.includes('#'));
        if (bad) return json(res, 400, { error: 'invalid_client_metadata', error_description: 'RFC 7591 §2 syntax' });
      }
      const confidential = /^client_secret_/.test(m.token_endpoint_auth_method ?? '');
      const dedupKey = f.dedupRegistrations && !confidential ? JSON.stringify(f.dedupRegistrations === 'metadata' ? m : uris) : undefined;
      const earlier = dedupKey ? registered.get(dedupKey) : undefined;
      if (earlier) return json(res, 201, { ...m, client_id: earlier });
      const id = `client_${randomBytes(8).toString('hex')}${f.evilText ? EVIL : ''}`;
      if (dedupKey) registered.set(dedupKey, id);
      const issued = f.dcrSecret ? remember(f.dcrSecret()) : confidential ? remember(`cs_${randomBytes(16).toString('hex')}`) : undefined;
      clients.set(id, { redirectUris: uris, secret: confidential ? issued ?? undefined : undefined });
      return json(res, 201, { ...m, client_id: id, ...(issued ? { client_secret: issued } : {}), token_endpoint_auth_method: f.dcr === 'wrong-method' ? 'client_secret_basic' : m.token_endpoint_auth_method });
    }
    if (p === '/.well-known/ai-plugin.json' && f.plugin) {
      return json(res, 200, {
        schema_version: 'v1', name_for_model: 'toy', api: { type: 'openapi', url: `${origin}/openapi.yaml` },
        auth: { type: 'oauth', client_url: `${origin}/authorize`, authorization_url: `${origin}/token`, scope: 'mcp:read', authorization_content_type: 'application/json', verification_tokens: { openai: 'vt_123' } },
      });
    }
    if (p === '/api/me') {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      let ok = f.api === 'accepts-any';
      if (token && !ok) ok = await jwtVerify(token, verifyKeys, { issuer }).then(() => true, () => false);
      if (!ok) { res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }); return void res.end(); }
      return json(res, 200, { sub: 'toy-user' });
    }
    if (p === '/authorize' && f.pendingCookie && !url.searchParams.has('continue')) {
      // The pending authorization lives in a cookie until the next page (as @openauthjs/openauth does).
      res.writeHead(302, { 'set-cookie': `pending=${Buffer.from(url.search).toString('base64url')}; Path=/; HttpOnly`, location: `${origin}/authorize?continue=1` });
      return void res.end();
    }
    if (p === '/authorize' && f.pendingCookie) {
      const pending = /(?:^|;\s*)pending=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      if (!pending) {
        res.writeHead(400, { 'content-type': 'text/html' });
        return void res.end('<html><title>Error</title><h1>The browser was in an unknown state</h1></html>');
      }
      url.search = Buffer.from(pending, 'base64url').toString();
    }
    if (p === '/authorize') {
      if (f.authorizeLoop) {
        res.writeHead(302, { location: `${origin}/authorize?loop=${randomBytes(2).toString('hex')}` });
        return void res.end();
      }
      const q = url.searchParams;
      if (f.authorizeJsonOnAccept && /^application\/json/.test(req.headers.accept ?? '')) return json(res, 200, { ok: true, hint: 'use a browser' });
      const client = clients.get(q.get('client_id') ?? '');
      const redirectUri = q.get('redirect_uri') ?? '';
      if (!client && f.cimdReject && q.get('client_id') === clientMetadataDocument().client_id && redirectUri) {
        const loc = new URL(redirectUri);
        loc.searchParams.set('error', 'invalid_client');
        loc.searchParams.set('error_description', 'client id metadata document rejected');
        loc.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: loc.href });
        return void res.end();
      }
      if (!client && !(f.anyClientId && q.get('client_id'))) return json(res, 400, { error: 'invalid_client' });
      if (f.authorizeRefusesRegistered && client?.redirectUris.includes(redirectUri)) {
        const loc = new URL(redirectUri);
        loc.searchParams.set('error', 'unauthorized_client');
        loc.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: loc.href });
        return void res.end();
      }
      const problem = syntaxError(q);
      if (problem) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'invalid_request', error_description: problem }));
      }
      const compared = f.redirectCheck === 'ignore-query' ? redirectUri.split('?')[0]! : redirectUri;
      if (f.redirectCheck !== 'none' && client && !client.redirectUris.includes(compared)) {
        res.writeHead(400, { 'content-type': 'text/html' });
        return void res.end('<html><title>Invalid redirect_uri</title></html>');
      }
      if (f.scopeRequired && !q.get('scope')) {
        const loc = new URL(redirectUri);
        loc.searchParams.set('error', 'invalid_scope');
        loc.searchParams.set('error_description', 'scope is required');
        loc.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: loc.href });
        return void res.end();
      }
      if (f.implicit && /token/.test(q.get('response_type') ?? '')) {
        const loc = new URL(redirectUri);
        loc.hash = new URLSearchParams({ access_token: await accessToken(SCOPES.join(' '), mcpUrl), token_type: 'Bearer', state: q.get('state') ?? '' }).toString();
        res.writeHead(302, { location: loc.href });
        return void res.end();
      }
      if ((f.pkceRequired || (!client?.secret && !f.pkcePublicOptional)) && !q.get('code_challenge')) {
        const loc = new URL(redirectUri);
        loc.searchParams.set('error', 'invalid_request');
        loc.searchParams.set('error_description', 'code_challenge is required (PKCE)');
        loc.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: loc.href });
        return void res.end();
      }
      remember(q.get('state'));
      const code = remember(`code_${randomBytes(16).toString('hex')}`)!;
      const grant = randomBytes(8).toString('hex');
      if (f.reauthRevokes) revokeAll(q.get('client_id')!);
      if (f.reauthRevokesUser) revokeAll();
      grants.set(grant, { clientId: q.get('client_id')!, alive: true });
      codes.set(code, { clientId: q.get('client_id')!, redirectUri, challenge: q.get('code_challenge') ?? undefined, plain: f.pkcePlain && q.get('code_challenge_method') === 'plain', scope: q.get('scope') ?? SCOPES.join(' '), used: false, grant });
      const loc = new URL(redirectUri);
      loc.searchParams.set('code', code);
      const state = q.get('state') ?? '';
      loc.searchParams.set('state', f.stateMode === 'truncate' ? state.slice(0, 255) : f.stateMode === 'rewrite' ? state.replace(/~/g, '_') : f.stateMode === 'replace' ? randomBytes(16).toString('hex') : state);
      if (f.iss !== 'missing' && f.iss !== 'unsupported') loc.searchParams.set('iss', issuer);
      res.writeHead(302, { location: loc.href });
      return void res.end();
    }
    if (p === '/token' && req.method === 'POST' && f.hugeToken) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ access_token: 'x', pad: 'y'.repeat(2 * 1024 * 1024) }));
    }
    if (p === '/token' && req.method === 'POST') {
      echoed = f.echo ? echoOf(body, req.headers.authorization) : '';
      const form = new URLSearchParams(body);
      let clientId = form.get('client_id') ?? '';
      let secret = form.get('client_secret') ?? undefined;
      let via: 'post' | 'basic' | undefined = secret ? 'post' : undefined;
      const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (basic) {
        const [id, sec] = Buffer.from(basic, 'base64').toString().split(':').map((x) => decodeURIComponent(x.replace(/\+/g, ' ')));
        clientId = id ?? '';
        secret = sec;
        via = 'basic';
      }
      remember(form.get('code_verifier'));
      const client = clients.get(clientId) ?? (f.anyClientId && clientId ? { redirectUris: [] } : undefined);
      if (!client) return tokenError(res, 'invalid_client', 'unknown client');
      const problem = syntaxError(form);
      if (problem) return tokenError(res, 'invalid_request', problem);
      if (f.cimdTokenRefused && clientId === clientMetadataDocument().client_id) return tokenError(res, 'invalid_grant', 'client id metadata documents are not supported at this endpoint');
      if (f.cimdPrivateKeyJwt && clientId === clientMetadataDocument().client_id && !form.get('client_assertion')) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'invalid_client', error_description: 'private_key_jwt client authentication required' }));
      }
      if (client.secret) {
        const allowed = f.client?.auth ?? 'both';
        if (!via || (allowed !== 'both' && allowed !== via) || (secret !== client.secret && f.clientAuth !== 'ignore-secret')) {
          res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="toy"' });
          return void res.end(JSON.stringify({ error: 'invalid_client', error_description: `client authentication failed${echoed}` }));
        }
      }
      if (form.get('grant_type') === 'authorization_code') {
        if (f.codeExchange === 'invalid-grant') return tokenError(res, 'invalid_grant', 'the code could not be redeemed');
        const c = codes.get(form.get('code') ?? '');
        if (c && c.clientId !== clientId && f.codeBinding !== false && f.codeEndsOnMisuse) c.used = true;
        if (!c || (c.clientId !== clientId && f.codeBinding !== false)) return tokenError(res, 'invalid_grant', 'unknown code');
        if (c.used && !f.codeReuse) {
          if (f.replayRevokesAll) revokeAll();
          // RFC 6749 §4.1.2: revoke the tokens issued from the code (SHOULD).
          else if (!f.codeReplayKeepsTokens) grants.get(c.grant)!.alive = false;
          return tokenError(res, 'invalid_grant', 'code already used');
        }
        if (!alive(c.grant)) return tokenError(res, 'invalid_grant', 'grant not found (revoked)');
        if (f.redirectBinding && form.get('redirect_uri') !== c.redirectUri) return tokenError(res, 'invalid_grant', 'redirect_uri mismatch');
        const verifier = form.get('code_verifier');
        if (c.challenge && f.pkce !== 'optional' && !verifier) return tokenError(res, 'invalid_grant', 'code_verifier required');
        if (c.challenge && verifier && f.pkce !== 'unchecked' && (c.plain ? verifier : createHash('sha256').update(verifier).digest('base64url')) !== c.challenge) {
          return tokenError(res, f.tokenErrorCodes === 'wrong' ? 'invalid_request' : 'invalid_grant', 'code_verifier mismatch');
        }
        // RFC 9700 §2.1.1: a code_verifier for a code issued without code_challenge is refused.
        if (!c.challenge && verifier && !f.pkceDowngrade) return tokenError(res, 'invalid_grant', 'code_verifier without code_challenge');
        if (f.codeReuse === 'forgets-pkce') c.challenge = undefined;
        else c.used = true;
        return issueTokens(res, clientId, c.scope, f.aud === 'other' ? 'https://other.example/api' : (form.get('resource') ?? mcpUrl), true, c.grant);
      }
      if (form.get('grant_type') === 'refresh_token') {
        const rt = form.get('refresh_token') ?? '';
        if (f.refreshAcceptsAccess && rt.startsWith('eyJ')) return issueTokens(res, clientId, SCOPES.join(' '), mcpUrl, false);
        const entry = refreshTokens.get(rt);
        if (entry && !entry.valid && entry.clientId === clientId) {
          // Reuse of a used refresh token.
          if (f.refresh === 'grace-identical' && entry.answer) return json(res, 200, entry.answer, { 'cache-control': 'no-store' });
          if (f.refresh !== 'no-family-revoke') for (const e of refreshTokens.values()) if (e.family === entry.family) e.valid = false;
          if (f.replayRevokesAll) revokeAll();
          return tokenError(res, 'invalid_grant', 'refresh token already used');
        }
        if (f.refresh === 'refuse' || !entry || !entry.valid || (entry.clientId !== clientId && f.refreshBinding !== false)) return tokenError(res, 'invalid_grant', 'bad refresh token');
        if (!alive(entry.family)) return tokenError(res, 'invalid_grant', 'grant not found (revoked)');
        const depth = (refreshes.get(entry.family) ?? 0) + 1;
        refreshes.set(entry.family, depth);
        const audience = f.refreshAud === 'other' || (f.refreshAudFrom && depth >= f.refreshAudFrom) ? 'https://other.example/api' : (form.get('resource') ?? mcpUrl);
        if (f.refresh === 'same' || f.refresh === 'old-valid') {
          const granted = entry.scope;
          const out: Record<string, unknown> = { access_token: await accessToken(granted, audience), token_type: 'Bearer', expires_in: 3600, scope: granted };
          if (f.refresh === 'same') out.refresh_token = rt;
          else {
            const next = remember(`rt_${randomBytes(24).toString('hex')}`)!;
            refreshTokens.set(next, { ...entry });
            out.refresh_token = next;
          }
          return json(res, 200, out, { 'cache-control': 'no-store' });
        }
        entry.valid = false;
        if (f.refresh === 'once') {
          entry.answer = await issueTokens(res, clientId, entry.scope, audience, false, entry.family, entry.access);
          return;
        }
        entry.answer = await issueTokens(res, clientId, entry.scope, audience, true, entry.family, entry.access);
        if (f.refresh === 'rotated-broken' && typeof entry.answer?.refresh_token === 'string') refreshTokens.delete(entry.answer.refresh_token);
        return;
      }
      return tokenError(res, 'unsupported_grant_type', 'unsupported');
    }
    json(res, 404, { error: 'not_found' });
  }

  return {
    origin,
    mcpUrl,
    requests,
    secrets,
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
