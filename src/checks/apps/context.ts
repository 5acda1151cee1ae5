/**
 * Shared state and helpers of the `apps` suite. Checks run in flow order and leave what later
 * checks need here (metadata, client, tokens), the way ChatGPT carries state through a connect.
 */
import * as oidc from 'openid-client';
import { HttpFailure, type HttpClient, type HttpResponse } from '../../http/client.js';
import { JsonTooDeep, parseJson, readJsonObject } from '../../http/json.js';
import { registerClientCredentials, registerSecret } from '../../http/redact.js';
import type { LoginDriver } from '../../login/drivers.js';
import { LoginError } from '../../login/drivers.js';
import { CheckAbort } from '../engine.js';
import { newPkce, longState, type Pkce } from '../../oauth/pkce.js';
import { withClientAuth, type ClientAuthMethod } from '../../oauth/client-auth.js';
import type { ProviderKind } from '../advice.js';
import { safeText } from '../../text.js';
import { chatgptScopes, dcrRequestBody, MCP_CLIENT_INFO, MCP_PROTOCOL_VERSION } from '../../chatgpt/client.js';

export { MCP_PROTOCOL_VERSION };

export interface AppsOptions {
  mcpUrl: string;
  clientId?: string;
  clientSecret?: string;
  /** Requested scopes; default: what ChatGPT would request. */
  scope?: string[];
}

export interface AsMetadata {
  issuer?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  registration_endpoint?: string;
  jwks_uri?: string;
  scopes_supported?: string[];
  response_types_supported?: string[];
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  client_id_metadata_document_supported?: boolean;
  [k: string]: unknown;
}

export interface Client {
  clientId: string;
  clientSecret?: string;
  authMethod: ClientAuthMethod;
  source: 'dcr' | 'predefined' | 'cimd';
}

export interface Tokens {
  response: HttpResponse;
  body: Record<string, unknown>;
  accessToken?: string;
  refreshToken?: string;
  scope?: string;
}

export interface AppsState {
  provider: ProviderKind;
  challenge?: { status: number; resourceMetadata?: string; scope?: string[] };
  prm?: Record<string, unknown>;
  prmUrl?: string;
  /** The authorization server identifier as listed in `authorization_servers`. */
  asId?: string;
  as?: AsMetadata;
  asUrl?: string;
  jwks?: { keys: Record<string, unknown>[] };
  client?: Client;
  /** Registrations to delete at the end (RFC 7592), best effort. */
  cleanup: { uri: string; token: string }[];
  scopes?: string[];
  main?: { callback: URL; state: string; pkce: Pkce; redirectUri: string };
  tokens?: Tokens;
  refreshed?: Tokens;
  usedRefreshToken?: string;
  /** Mixed auth mode (Apps SDK): public initialize/tools/list, per-tool protection. */
  mixed?: { tools: number; protectedTools: string[]; probed?: string; probeResult?: string; challenge?: import('../../oauth/www-authenticate.js').Challenge };
  /** pkce.required got a code without code_challenge (so pkce.downgrade has something to test). */
  codeWithoutPkce?: boolean;
  /** The `error` the token endpoint gave for a wrong code_verifier / a reused code (for token.error-format). */
  wrongVerifierError?: string;
  usedCodeError?: string;
  /** Results of the PKCE negative tests (for judging redirect binding): the verifier is required / compared. */
  pkceRequired?: boolean;
  pkceChecked?: boolean;
  /**
   * Not data but a declaration: the authorization server's grant and session that the run's
   * sign-ins share. Every check that obtains a code reads it; a check whose replay may revoke the
   * grant (code reuse, refresh-token reuse) spends it, so it runs after every sign-in.
   */
  grant?: never;
  /** How many authorization codes were obtained so far. */
  logins: number;
}

export interface AppsContext {
  http: HttpClient;
  login: LoginDriver;
  opts: AppsOptions;
  say: (line: string) => void;
  s: AppsState;
  /** Expected number of logins, for "login 2 of 5" messages. */
  plannedLogins: number;
}

/** The resource identifier ChatGPT sends: the PRM `resource`, else the MCP URL. */
export function resourceOf(ctx: AppsContext): string {
  const r = ctx.s.prm?.resource;
  return typeof r === 'string' && r ? r : ctx.opts.mcpUrl;
}


/** ChatGPT's scope selection applied to what discovery found. */
export function scopesFor(s: AppsState): string[] {
  return chatgptScopes({ challengeScope: s.challenge?.scope, prmScopes: s.prm?.scopes_supported, asScopes: s.as?.scopes_supported });
}

/** An openid-client configuration for the discovered server and current client. */
export function oidcConfig(ctx: AppsContext): oidc.Configuration {
  const { as, client } = ctx.s;
  if (!as || !client) throw new CheckAbort({ status: 'skip', detail: 'no metadata or client yet' });
  const auth = client.authMethod === 'none' ? oidc.None()
    : client.authMethod === 'client_secret_basic' ? oidc.ClientSecretBasic(client.clientSecret)
      : oidc.ClientSecretPost(client.clientSecret);
  const config = new oidc.Configuration(as as oidc.ServerMetadata, client.clientId, client.clientSecret ? { client_secret: client.clientSecret } : undefined, auth);
  config[oidc.customFetch] = ctx.http.fetcher() as never;
  if (Object.values(as).some((v) => typeof v === 'string' && v.startsWith('http://'))) oidc.allowInsecureRequests(config);
  return config;
}

export interface AuthorizeParams {
  state: string;
  pkce?: Pkce;
  redirectUri?: string;
  scope?: string[];
  extra?: Record<string, string>;
}

export function authorizeUrl(ctx: AppsContext, p: AuthorizeParams): URL {
  const params: Record<string, string> = {
    response_type: 'code',
    redirect_uri: p.redirectUri ?? ctx.login.redirectUri,
    state: p.state,
    resource: resourceOf(ctx),
  };
  const scope = p.scope ?? ctx.s.scopes ?? [];
  if (scope.length) params.scope = scope.join(' ');
  if (p.pkce) {
    params.code_challenge = p.pkce.challenge;
    params.code_challenge_method = 'S256';
  }
  Object.assign(params, p.extra);
  return oidc.buildAuthorizationUrl(oidcConfig(ctx), params);
}

/**
 * Obtain a fresh authorization code through the login driver. A refusal or a failed login ends
 * the calling check (fail for the first, skip with the reason for later ones).
 */
/** ChatGPT's CIMD document lists only its own redirect URI: the loopback browser login cannot work. */
function assertCimdLogin(ctx: AppsContext): void {
  if (ctx.s.client?.source === 'cimd' && ctx.login.mode === 'browser') {
    throw new CheckAbort({ status: 'skip', detail: 'with ChatGPT\'s CIMD client id only ChatGPT\'s redirect URI is allowed; use --login manual, auto or command' });
  }
}

/**
 * One sign-in as the run's client, with ChatGPT's parameters (PKCE S256, a long state, the
 * resource, ChatGPT's scopes or `scope`), through the login driver (which labels it "login N of M").
 * A LoginError propagates: each caller decides whether it is incomplete or a finding.
 */
export async function signIn(ctx: AppsContext, purpose: string, o: { scope?: string[] } = {}): Promise<{ callback: URL; pkce: Pkce; state: string }> {
  assertCimdLogin(ctx);
  const pkce = newPkce();
  const state = longState();
  const url = authorizeUrl(ctx, { state, pkce, scope: o.scope });
  ctx.s.logins++;
  return { callback: await ctx.login.obtain(url, state, purpose), pkce, state };
}

export async function freshCode(ctx: AppsContext, purpose: string, o: { scope?: string[] } = {}): Promise<{ code: string; callback: URL; pkce: Pkce; redirectUri: string; state: string }> {
  let callback: URL;
  let pkce: Pkce;
  let state: string;
  try {
    ({ callback, pkce, state } = await signIn(ctx, purpose, o));
  } catch (err) {
    if (err instanceof LoginError) {
      throw new CheckAbort(err.serverSide ? { status: 'skip', detail: `could not obtain an authorization code: ${err.message}` }
        : { status: 'skip', detail: `the doctor could not sign in: ${err.message}`, fix: err.hint, incomplete: true });
    }
    throw err;
  }
  const error = callback.searchParams.get('error');
  if (error) {
    throw new CheckAbort({ status: 'skip', detail: `the authorization server refused the request: ${safeText(error, 60)} ${safeText(callback.searchParams.get('error_description') ?? '', 200)}` });
  }
  const code = callback.searchParams.get('code');
  if (!code) throw new CheckAbort({ status: 'skip', detail: 'the redirect carried no code' });
  registerSecret(code, 'code');
  return { code, callback, pkce, redirectUri: ctx.login.redirectUri, state };
}

/**
 * An authorization as another client than the run's own (ChatGPT's CIMD id, a client registered
 * with a per-connector callback): the authorize URL with ChatGPT's parameters, obtained through
 * the login driver with that redirect URI. Returns the callback, or an outcome when the doctor
 * could not sign in (incomplete) or the server answered with an error page.
 */
export async function authorizeAs(ctx: AppsContext, clientId: string, redirectUri: string, purpose: string, o: { pkce?: boolean; resource?: string } = {}): Promise<{ callback: URL; pkce: Pkce; state: string } | { outcome: import('../types.js').Outcome }> {
  const as = ctx.s.as!;
  const pkce = newPkce();
  const state = longState();
  const url = new URL(as.authorization_endpoint!);
  const scope = ctx.s.scopes ?? [];
  const params: Record<string, string> = {
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state, resource: o.resource ?? resourceOf(ctx),
    ...(o.pkce === false ? {} : { code_challenge: pkce.challenge, code_challenge_method: 'S256' }), ...(scope.length ? { scope: scope.join(' ') } : {}),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  ctx.s.logins++;
  try {
    return { callback: await ctx.login.obtain(url, state, purpose, redirectUri), pkce, state };
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    if (!err.serverSide) return { outcome: { status: 'skip', detail: `the doctor could not sign in: ${err.message}`, fix: err.hint, incomplete: true } };
    return { outcome: { status: 'fail', detail: `the authorization endpoint answered with an error page: ${err.message}` } };
  }
}

/** A code for `clientId` on the run's redirect URI, or the outcome that ends the calling check. */
export async function codeAs(ctx: AppsContext, clientId: string, purpose: string, o: { pkce?: boolean; resource?: string } = {}): Promise<{ code: string; pkce: Pkce } | { outcome: import('../types.js').Outcome }> {
  const got = await authorizeAs(ctx, clientId, ctx.login.redirectUri, purpose, o);
  if ('outcome' in got) return got.outcome.status === 'fail' ? { outcome: { status: 'skip', detail: `could not obtain a code: ${got.outcome.detail}` } } : got;
  const error = got.callback.searchParams.get('error');
  if (error) return { outcome: { status: 'skip', detail: `the authorization server refused the request: ${safeText(error, 60)} ${safeText(got.callback.searchParams.get('error_description') ?? '', 200)}`.trim() } };
  const code = got.callback.searchParams.get('code');
  if (!code) return { outcome: { status: 'skip', detail: 'the redirect carried no code' } };
  registerSecret(code, 'code');
  return { code, pkce: got.pkce };
}

/**
 * Register another client (RFC 7591) with ChatGPT's body and the run's redirect URI, for the
 * negative tests that need a second client or a confidential one. Deleted again at the end.
 */
export async function registerExtraClient(ctx: AppsContext, overrides: Record<string, unknown> = {}): Promise<Client | { skip: string }> {
  const endpoint = ctx.s.as?.registration_endpoint;
  if (typeof endpoint !== 'string') return { skip: 'needs a second client, and the server offers no dynamic registration' };
  const res = await ctx.http.send({ method: 'POST', url: endpoint, json: { ...dcrRequestBody([ctx.login.redirectUri], 'gpt-oauth doctor probe'), ...overrides } });
  const j = readJsonObject(res, false);
  if ((res.status !== 201 && res.status !== 200) || !j.ok || typeof j.value.client_id !== 'string') return { skip: `registering another client was refused (${res.status})` };
  const body = j.value;
  if (typeof body.client_secret === 'string') registerClientCredentials(String(body.client_id ?? ''), body.client_secret, false);
  if (typeof body.registration_access_token === 'string') {
    registerSecret(body.registration_access_token, 'registration_access_token');
    if (typeof body.registration_client_uri === 'string') ctx.s.cleanup.push({ uri: body.registration_client_uri, token: body.registration_access_token });
  }
  const m = body.token_endpoint_auth_method;
  return {
    clientId: String(body.client_id), clientSecret: typeof body.client_secret === 'string' ? body.client_secret : undefined,
    authMethod: m === 'client_secret_basic' || m === 'client_secret_post' ? m : 'none', source: 'dcr',
  };
}

/** A second registered client and a fresh code issued to the run's client (the binding tests). */
export async function secondClientAndCode(ctx: AppsContext, purpose: string): Promise<{ other: Client; code: string; pkce: Pkce } | { outcome: import('../types.js').Outcome }> {
  const other = await registerExtraClient(ctx);
  if ('skip' in other) return { outcome: { status: 'skip', detail: other.skip } };
  const got = await codeAs(ctx, ctx.s.client!.clientId, purpose);
  return 'outcome' in got ? got : { other, ...got };
}

/** A token request as `client` (its own authentication method). */
export async function tokenRequestAs(ctx: AppsContext, client: Client, form: Record<string, string | undefined>): Promise<HttpResponse> {
  const req = withClientAuth(client.authMethod, client.clientId, client.clientSecret, form);
  const res = await ctx.http.send({ method: 'POST', url: ctx.s.as!.token_endpoint!, headers: req.headers, form: req.form });
  const j = readJsonObject(res, false);
  if (j.ok) registerTokens(j.value);
  return res;
}

/** Checks that authorize with one of ChatGPT's own redirect URIs cannot use the loopback browser login. */
export function needsChatgptRedirect(ctx: AppsContext): import('../types.js').Outcome | undefined {
  if (ctx.login.mode !== 'browser') return undefined;
  return { status: 'skip', detail: 'this authorization must end on ChatGPT\'s own redirect URI, which the loopback browser login cannot receive; run with --login manual, auto or command to test it', nonBlocking: true };
}

/** A raw token endpoint request with the client's authentication method applied. */
export async function tokenRequest(ctx: AppsContext, form: Record<string, string | undefined>): Promise<HttpResponse> {
  const { as, client } = ctx.s;
  if (!as?.token_endpoint || !client) throw new CheckAbort({ status: 'skip', detail: 'no token endpoint or client' });
  const req = withClientAuth(client.authMethod, client.clientId, client.clientSecret, form);
  return ctx.http.send({ method: 'POST', url: as.token_endpoint, headers: req.headers, form: req.form });
}

/** Remember token values for redaction. */
export function registerTokens(body: Record<string, unknown>): void {
  for (const k of ['access_token', 'refresh_token', 'id_token']) {
    if (typeof body[k] === 'string') registerSecret(body[k] as string, k);
  }
}

// ---- MCP over Streamable HTTP ----

export interface McpExchange {
  res: HttpResponse;
  message?: Record<string, unknown>;
  problem?: string;
}

export function initializeRequest(id = 1): Record<string, unknown> {
  return {
    jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { ...MCP_CLIENT_INFO } },
  };
}

export async function mcpPost(ctx: AppsContext, body: unknown, token?: string, session?: { id?: string; version?: string }): Promise<McpExchange> {
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (session?.id) headers['mcp-session-id'] = session.id;
  if (session?.version) headers['mcp-protocol-version'] = session.version;
  const res = await ctx.http.send({ method: 'POST', url: ctx.opts.mcpUrl, headers, json: body });
  const id = (body as { id?: unknown }).id;
  if (res.status === 202 || id === undefined) return { res };
  return { res, ...parseMcpResponse(res, id) };
}

/** Find the JSON-RPC response with `id` in a JSON or SSE body. */
export function parseMcpResponse(res: HttpResponse, id: unknown): { message?: Record<string, unknown>; problem?: string } {
  const ct = (res.header('content-type') ?? '').toLowerCase();
  const text = res.text();
  const candidates: unknown[] = [];
  try {
    if (ct.includes('text/event-stream')) {
      for (const event of text.split(/\r?\n\r?\n/)) {
        const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (data) candidates.push(parseJson(data));
      }
    } else if (ct.includes('json')) {
      const v = parseJson(text);
      if (Array.isArray(v)) candidates.push(...v);
      else candidates.push(v);
    } else {
      return { problem: `answered ${res.status} with ${safeText(ct || 'no content type', 60)}, neither JSON nor an SSE stream` };
    }
  } catch (err) {
    if (err instanceof JsonTooDeep) return { problem: `answered ${res.status} with ${err.message}` };
    return { problem: `answered ${res.status} with a body that is not valid JSON-RPC` };
  }
  const message = candidates.find((m) => m && typeof m === 'object' && (m as { id?: unknown }).id === id) as Record<string, unknown> | undefined;
  if (!message) return { problem: `answered ${res.status} without a JSON-RPC response for request ${String(id)}` };
  return { message };
}

/**
 * GET these URLs at once (discovery candidates whose answers are judged later, in order). A
 * failure surfaces where the answer is awaited; one never awaited (a candidate after the one that
 * won) is dropped quietly.
 */
export function prefetch(http: HttpClient, urls: string[]): Map<string, Promise<HttpResponse>> {
  const out = new Map<string, Promise<HttpResponse>>();
  for (const url of urls) {
    if (out.has(url)) continue;
    const p = http.send({ url });
    p.catch(() => undefined);
    out.set(url, p);
  }
  return out;
}

/**
 * The first of the candidate URLs, in order as ChatGPT tries them during discovery, that
 * answers 200 with a JSON object `accept` takes (it returns a problem string to reject one).
 * Every miss before it is described. All candidates are requested at once (or were already,
 * in `started`) and judged in order, so the winner is the one a sequential client would find.
 * Redirects are reported, never followed.
 */
export async function firstJsonDocument<T = Record<string, unknown>>(
  http: HttpClient,
  candidates: { url: string; how: string }[],
  accept: (value: T) => string | undefined = () => undefined,
  started?: Map<string, Promise<HttpResponse>>,
): Promise<{ found?: { url: string; how: string; value: T }; attempts: string[] }> {
  const fresh = prefetch(http, candidates.map((c) => c.url).filter((u) => !started?.has(u)));
  const attempts: string[] = [];
  for (const c of candidates) {
    const miss = (why: string) => attempts.push(`${c.how} ${c.url}: ${why}`);
    let res: HttpResponse;
    try {
      res = await (started?.get(c.url) ?? fresh.get(c.url)!);
    } catch (err) {
      // The run's own --deadline is not the server's miss: it ends the check as incomplete.
      if (err instanceof HttpFailure && err.kind !== 'deadline') { miss(err.message); continue; }
      throw err;
    }
    if (res.status >= 300 && res.status < 400) { miss(`redirect ${res.status} (not followed, as ChatGPT does not)`); continue; }
    if (res.status !== 200) { miss(String(res.status)); continue; }
    const json = readJsonObject<T>(res);
    if (!json.ok) { miss(json.problem); continue; }
    const problem = accept(json.value);
    if (problem) { miss(problem); continue; }
    return { found: { ...c, value: json.value }, attempts };
  }
  return { attempts };
}
