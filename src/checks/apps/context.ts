/**
 * Shared state and helpers of the `apps` suite. Checks run in flow order and leave what later
 * checks need here (metadata, client, tokens), the way ChatGPT carries state through a connect.
 */
import type { HttpClient, HttpResponse } from '../../http/client.js';
import type { LoginDriver } from '../../login/driver.js';
import { CheckAbort } from '../engine.js';
import type { Pkce } from '../../oauth/pkce.js';
import type { ClientAuthMethod } from '../../oauth/client-auth.js';
import type { ProviderKind } from '../advice.js';
import { chatgptScopes } from '../../chatgpt/client.js';

export interface AppsOptions {
  mcpUrl: string;
  clientId?: string;
  clientSecret?: string;
  /** Requested scopes; default: what ChatGPT would request. */
  scope?: string[];
  /** The provider behind the issuer when it cannot be recognised (--provider): its advice. */
  provider?: import('../advice.js').ProviderKind;
  /** Keep the run's grant usable (--save-refresh-token): nothing may sign in as its client again. */
  keepGrant?: boolean;
  /**
   * The sign-ins beyond ChatGPT's path when each needs the person (`--login manual`, or a server
   * that asks on every sign-in): true does them without asking (--extra-sign-ins), false skips
   * them (--no-extra-sign-ins), unset asks at an interactive terminal.
   */
  extraSignIns?: boolean;
  /** A person at an interactive terminal answers questions. */
  interactive?: boolean;
  /** Run a question or a paste with the terminal to itself (the progress spinner stopped). */
  aside?: <T>(work: () => Promise<T>) => Promise<T>;
  /** The run waits for the person (shown with the time left), or no longer (undefined). */
  onWait?: (label: string | undefined, until?: number) => void;
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
  /** What discovery met before the metadata (each candidate's answer), for the diagnosis by cause. */
  asMisses?: string[];
  jwks?: { keys: Record<string, unknown>[] };
  client?: Client;
  /** Registrations to delete at the end (RFC 7592), best effort. */
  cleanup: { uri: string; token: string; owner?: string }[];
  scopes?: string[];
  main?: { callback: URL; state: string; pkce: Pkce; redirectUri: string };
  tokens?: Tokens;
  /** The newest tokens of refresh.grant's chain; `refreshToken` is the one ChatGPT now holds. */
  refreshed?: Tokens;
  /**
   * How refresh.grant's chain went: `links` refreshes worked; `broke` is the refresh that failed;
   * `rotatedRefused`: it failed with a refresh token the server had just issued. `last`: the
   * last link that worked, when the chain was walked on a client of the check's own — the
   * refresh token it presented, the one it got (if any), its access token — for
   * refresh.rotation to replay (that client's grant is used by nothing else).
   */
  refreshChain?: { links: number; broke?: number; rotatedRefused?: boolean; last?: { client: Client; presented: string; issued?: string; accessToken: string } };
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
  /**
   * Likewise a declaration: every grant of the test user. Every check that holds a grant reads
   * it; a replay (a code or refresh token used twice) may end all of them, so it spends it.
   */
  user?: never;
  /** How many authorization codes were obtained so far. */
  logins: number;
}

export interface AppsContext {
  http: HttpClient;
  login: LoginDriver;
  opts: AppsOptions;
  say: (line: string) => void;
  s: AppsState;
  /** Hands out sign-ins, codes and clients with the isolation rules (grants.ts). */
  broker: GrantBroker;
  /** Expected number of logins, for "login 2 of 5" messages. */
  plannedLogins: number;
}

/**
 * What one run's grant broker (grants.ts, which holds the isolation rules) counts, learns and
 * serialises: sign-ins and clients (for the bench), notes (for the report), and `alone`.
 */
export class GrantBroker {
  signIns = 0;
  clientsRegistered = 0;
  /**
   * Set when the authorization server rate-limited a registration the doctor could not wait out:
   * no further client of the doctor's own is registered (checks fall back to the run's client,
   * or a client_id the server never issued), and the report says so.
   */
  registrationLimited?: string;
  /** Registrations the doctor did not send because of it. */
  registrationsForgone = 0;
  /** The first registration of a client of the doctor's own, which the others wait for. */
  firstRegistration?: Promise<void>;
  /** Registrations on ChatGPT's path still to come (dcr.connector-callback's): the doctor's own wait. */
  chatgptRegistrations: Promise<void> = Promise.resolve();
  private releaseRegistrations: () => void = () => undefined;
  holdRegistrations(): void {
    this.chatgptRegistrations = new Promise<void>((r) => { this.releaseRegistrations = r; });
  }
  /** ChatGPT's path has registered (or will not): the doctor's own registrations may go. */
  registrationsFree(): void {
    this.releaseRegistrations();
  }
  /**
   * Registrations of the doctor's own clients sent (each gets its own client_name, so a server
   * that deduplicates identical registrations still issues distinct clients), and the client_ids
   * they got: one seen twice is not another client.
   */
  registrations = 0;
  readonly issued = new Set<string>();
  /** The client the binding checks present others' tokens with (grants.ts otherClient): one, shared. */
  otherClient?: Promise<Client | { skip: string }>;
  /** Behaviour the doctor learned about the server, named, never blamed (report `notes`). */
  readonly notes = new Map<string, string>();
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Run `fn` with the run's client's grant to itself: hand-outs on the run's client (and the
   * replays) never overlap, so a sign-in cannot end a grant another check is still using.
   */
  alone<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(fn);
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  note(key: string, text: string): void {
    if (!this.notes.has(key)) this.notes.set(key, text);
  }

  /** Whether a person who pastes each sign-in agreed to the ones beyond ChatGPT's path (asked once). */
  extra?: Promise<boolean>;
  /** How many sign-ins beyond ChatGPT's path the run planned when that was decided. */
  extraPlanned?: number;
  /** Whether the person agreed to go on although the server asks on every sign-in (asked once). */
  everyTime?: Promise<boolean>;
}

/** The resource identifier ChatGPT sends: the PRM `resource`, else the MCP URL. */
export function resourceOf(ctx: AppsContext): string {
  const r = ctx.s.prm?.resource;
  return typeof r === 'string' && r ? r : ctx.opts.mcpUrl;
}

/**
 * How the MCP server can check an opaque access token: by introspection (RFC 7662) when it is a
 * service of its own; where it shares its origin with the authorization server (one
 * application), by looking it up in the token store they share.
 */
export function tokenLookup(ctx: AppsContext, them = false): string {
  let same = false;
  try { same = !!ctx.s.as?.issuer && new URL(ctx.s.as.issuer).origin === new URL(ctx.opts.mcpUrl).origin; } catch { /* not URLs */ }
  const it = them ? 'them' : 'it';
  return same
    ? `the MCP server can look ${it} up in the token store it shares with the authorization server (both are served from one origin; a separate MCP server would introspect ${it}, RFC 7662)`
    : `the MCP server must introspect ${it} (RFC 7662) or share the authorization server's token store`;
}

/** ChatGPT's scope selection applied to what discovery found. */
export function scopesFor(s: AppsState): string[] {
  return chatgptScopes({ challengeScope: s.challenge?.scope, prmScopes: s.prm?.scopes_supported, asScopes: s.as?.scopes_supported });
}

export interface AuthorizeParams {
  state: string;
  pkce?: Pkce;
  /** Default S256, as ChatGPT sends. */
  pkceMethod?: 'S256' | 'plain';
  redirectUri?: string;
  /** Default: the run's client. */
  clientId?: string;
  scope?: string[];
  resource?: string;
  extra?: Record<string, string>;
}

/** An authorization request URL with ChatGPT's parameters (the run's client unless `clientId`). */
/**
 * One of the metadata's endpoints as an absolute http(s) URL, or the calling check ends as a skip
 * that names the owner of the finding (as.endpoints, dcr.register, jwks.*): a relative or broken
 * endpoint is reported once, there, and never crashes the checks that would use it.
 */
export function endpointUrl(ctx: AppsContext, key: 'authorization_endpoint' | 'token_endpoint' | 'registration_endpoint' | 'jwks_uri'): string {
  const v = ctx.s.as?.[key];
  if (typeof v !== 'string') throw new CheckAbort({ status: 'skip', detail: `the metadata has no ${key}` });
  let u: URL | undefined;
  try { u = new URL(v); } catch { /* below */ }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) throw new CheckAbort({ status: 'skip', detail: `the metadata's ${key} is not an absolute http(s) URL (see as.endpoints)` });
  return u.href;
}

export function authorizeUrl(ctx: AppsContext, p: AuthorizeParams): URL {
  const as = ctx.s.as;
  const clientId = p.clientId ?? ctx.s.client?.clientId;
  if (!as?.authorization_endpoint || !clientId) throw new CheckAbort({ status: 'skip', detail: 'no authorization endpoint or client yet' });
  const url = new URL(endpointUrl(ctx, 'authorization_endpoint'));
  const params: Record<string, string> = {
    client_id: clientId,
    response_type: 'code',
    redirect_uri: p.redirectUri ?? ctx.login.redirectUri,
    state: p.state,
    resource: p.resource ?? resourceOf(ctx),
  };
  const scope = p.scope ?? ctx.s.scopes ?? [];
  if (scope.length) params.scope = scope.join(' ');
  if (p.pkce) {
    // plain (a negative test only): the challenge is the verifier itself (RFC 7636 §4.2).
    params.code_challenge = p.pkceMethod === 'plain' ? p.pkce.verifier : p.pkce.challenge;
    params.code_challenge_method = p.pkceMethod ?? 'S256';
  }
  Object.assign(params, p.extra);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

/** ChatGPT's CIMD document lists only its own redirect URI: the loopback browser login cannot work. */
export function assertCimdLogin(ctx: AppsContext): void {
  if (ctx.s.client?.source === 'cimd' && ctx.login.mode === 'browser') {
    throw new CheckAbort({ status: 'skip', detail: 'with ChatGPT\'s CIMD client id only ChatGPT\'s redirect URI is allowed; use --login manual, auto or command' });
  }
}

/** Checks that authorize with one of ChatGPT's own redirect URIs cannot use the loopback browser login. */
export function needsChatgptRedirect(ctx: AppsContext): import('../types.js').Outcome | undefined {
  if (ctx.login.mode !== 'browser') return undefined;
  return { status: 'skip', detail: 'this authorization must end on ChatGPT\'s own redirect URI, which the loopback browser login cannot receive; run with --login manual, auto or command to test it', nonBlocking: true };
}

