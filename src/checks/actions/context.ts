/**
 * Shared state and helpers of the `actions` suite (custom GPT Actions): a confidential client,
 * no PKCE, ChatGPT's two callback forms, form-encoded token requests in either exchange method.
 */
import type { HttpClient, HttpResponse } from '../../http/client.js';
import { registerSecret } from '../../http/redact.js';
import type { LoginDriver } from '../../login/driver.js';
import { LoginError } from '../../login/driver.js';
import { longState } from '../../oauth/pkce.js';
import { withClientAuth } from '../../oauth/client-auth.js';
import { safeText } from '../../text.js';
import { gptCallbackUrls, type ExchangeMethod } from '../../gpt-actions/gpt.js';
import type { ProviderKind } from '../advice.js';
import { readJsonObject } from '../../http/json.js';

export interface ActionsOptions {
  authUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The Scope field; '' when empty (ChatGPT then sends `scope=`). */
  scope: string;
  gptId: string;
  apiUrl?: string;
}

export type Variant = 'chatgpt' | 'openai';

export type AuthResult =
  | { ok: true; code: string; callback: URL; state: string; redirectUri: string }
  | { ok: false; redirectUri: string; reason: string; pkce: boolean; incomplete?: { hint?: string } };

interface TokenAttempt {
  method: ExchangeMethod;
  res: HttpResponse;
  ok: boolean;
  body?: Record<string, unknown>;
}

interface ActionsState {
  provider: ProviderKind;
  auth: Partial<Record<Variant, AuthResult>>;
  attempts: Partial<Record<ExchangeMethod, TokenAttempt>>;
  method?: ExchangeMethod;
  accessToken?: string;
  refreshToken?: string;
  logins: number;
}

export interface ActionsContext {
  http: HttpClient;
  login: LoginDriver;
  opts: ActionsOptions;
  s: ActionsState;
}

export function callbackFor(ctx: ActionsContext, v: Variant): string {
  const cb = gptCallbackUrls(ctx.opts.gptId);
  return v === 'chatgpt' ? cb.chatgpt : cb.openai;
}

/** The authorize request the GPT editor's client sends: no PKCE, a long state, the Scope field as is. */
function actionsAuthorizeUrl(ctx: ActionsContext, redirectUri: string, state: string, scope = ctx.opts.scope): URL {
  const u = new URL(ctx.opts.authUrl);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', ctx.opts.clientId);
  u.searchParams.set('redirect_uri', redirectUri);
  u.searchParams.set('state', state);
  u.searchParams.set('scope', scope);
  return u;
}

const PKCE_RE = /pkce|code_challenge|code challenge|code_verifier/i;

export async function authorize(ctx: ActionsContext, v: Variant, purpose: string, scope?: string): Promise<AuthResult> {
  const redirectUri = callbackFor(ctx, v);
  const state = longState();
  const url = actionsAuthorizeUrl(ctx, redirectUri, state, scope);
  ctx.s.logins++;
  let callback: URL;
  try {
    callback = await ctx.login.obtain(url, state, ctx.login.mode === 'auto' ? purpose : `login ${ctx.s.logins}: ${purpose}`, redirectUri);
  } catch (err) {
    if (err instanceof LoginError) {
      return { ok: false, redirectUri, reason: err.message, pkce: PKCE_RE.test(err.message), ...(err.serverSide ? {} : { incomplete: { hint: err.hint } }) };
    }
    throw err;
  }
  const error = callback.searchParams.get('error');
  if (error) {
    const desc = callback.searchParams.get('error_description') ?? '';
    return { ok: false, redirectUri, reason: `${safeText(error, 60)}${desc ? `: ${safeText(desc, 200)}` : ''}`, pkce: PKCE_RE.test(`${error} ${desc}`) };
  }
  const code = callback.searchParams.get('code');
  if (!code) return { ok: false, redirectUri, reason: 'the redirect carried no code', pkce: false };
  registerSecret(code, 'code');
  return { ok: true, code, callback, state, redirectUri };
}

/** A token request with the GPT editor's client authentication (form-encoded, as ChatGPT sends). */
export async function actionsTokenRequest(ctx: ActionsContext, method: ExchangeMethod, form: Record<string, string>): Promise<HttpResponse> {
  // "Basic authorization header" is client_secret_basic; "Default (POST request)" is client_secret_post.
  const req = withClientAuth(method === 'basic_auth_header' ? 'client_secret_basic' : 'client_secret_post', ctx.opts.clientId, ctx.opts.clientSecret, form);
  const res = await ctx.http.send({ method: 'POST', url: ctx.opts.tokenUrl, headers: req.headers, form: req.form });
  const j = readJsonObject(res, false);
  if (j.ok) for (const k of ['access_token', 'refresh_token', 'id_token']) if (typeof j.value[k] === 'string') registerSecret(j.value[k] as string, k);
  if (!j.ok && /access_token=/.test(res.text())) {
    const f = new URLSearchParams(res.text());
    registerSecret(f.get('access_token'), 'access_token');
    registerSecret(f.get('refresh_token'), 'refresh_token');
  }
  return res;
}
