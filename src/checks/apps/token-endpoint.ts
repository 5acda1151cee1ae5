/**
 * The token endpoint as ChatGPT's backend calls it and reads its answer: requests with a client's
 * own authentication (directly or through openid-client, whose raw response is kept), the tokens
 * registered for redaction, the answer judged, and an openid-client failure put in our words.
 * Shared by the checks that redeem or refresh, and by the suite (a run that starts from --refresh-token-env).
 */
import * as oidc from 'openid-client';
import { HttpFailure, type HttpResponse } from '../../http/client.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { registerSecret } from '../../http/redact.js';
import { withClientAuth } from '../../oauth/client-auth.js';
import { tokenResponseFix, tokenResponseProblems } from '../../oauth/token-response.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { CheckAbort } from '../engine.js';
import { fail, incomplete, type Outcome } from '../types.js';
import { endpointUrl, type AppsContext, type Client, type Tokens } from './context.js';

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

/** A raw token endpoint request with the client's authentication method applied. */
export async function tokenRequest(ctx: AppsContext, form: Record<string, string | undefined>): Promise<HttpResponse> {
  const { as, client } = ctx.s;
  if (!as?.token_endpoint || !client) throw new CheckAbort({ status: 'skip', detail: 'no token endpoint or client' });
  const req = withClientAuth(client.authMethod, client.clientId, client.clientSecret, form);
  return ctx.http.send({ method: 'POST', url: endpointUrl(ctx, 'token_endpoint'), headers: req.headers, form: req.form });
}

/** A token request as `client` (its own authentication method). */
export async function tokenRequestAs(ctx: AppsContext, client: Client, form: Record<string, string | undefined>): Promise<HttpResponse> {
  const req = withClientAuth(client.authMethod, client.clientId, client.clientSecret, form);
  const res = await ctx.http.send({ method: 'POST', url: endpointUrl(ctx, 'token_endpoint'), headers: req.headers, form: req.form });
  const j = readJsonObject(res, false);
  if (j.ok) registerTokens(j.value);
  return res;
}

/** Remember token values for redaction. */
export function registerTokens(body: Record<string, unknown>): void {
  for (const k of ['access_token', 'refresh_token', 'id_token']) {
    if (typeof body[k] === 'string') registerSecret(body[k] as string, k);
  }
}

const hrefOf = (u: string | undefined) => { try { return u ? new URL(u).href : undefined; } catch { return undefined; } };

/** A fetch for openid-client that also keeps the raw token-endpoint response for our checks. */
export function capturingFetch(ctx: AppsContext, sink: { res?: HttpResponse }) {
  return ctx.http.fetcher((res) => {
    if (res.url !== hrefOf(ctx.s.as?.token_endpoint)) return;
    sink.res = res;
    const j = readJsonObject(res, false);
    if (j.ok) registerTokens(j.value);
  });
}

/** Judge a token response the way ChatGPT's backend reads it. */
export function judgeTokenResponse(res: HttpResponse, what: string): { outcome?: Outcome; tokens?: Tokens } {
  if (res.status !== 200) {
    return { outcome: fail(`${what}: the token endpoint answered ${oauthError(res)}`, undefined, CHATGPT_SAYS.connecting) };
  }
  const json = readJsonObject(res, false);
  if (!json.ok) return { outcome: fail(`${what}: the token endpoint ${json.problem}`, 'Answer with a JSON object (application/json).', CHATGPT_SAYS.connecting) };
  const body = json.value;
  registerTokens(body);
  const tokens: Tokens = {
    response: res,
    body,
    accessToken: typeof body.access_token === 'string' ? body.access_token : undefined,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    scope: typeof body.scope === 'string' ? body.scope : undefined,
  };
  if (!tokens.accessToken) return { outcome: fail(`${what}: the response has no access_token`, 'Return access_token in the token response.', CHATGPT_SAYS.connecting), tokens };
  const problems = tokenResponseProblems(res.header('content-type'), body);
  if (problems.length) {
    return { outcome: { ...fail(`${what}: ${problems.join('; ')}`, tokenResponseFix(res.header('content-type'), body)), nonBlocking: true }, tokens };
  }
  return { tokens };
}

/** What to do when the client the tester gave (--client-id and secret) is refused. */
export const CLIENT_HINT = 'check --client-id and its secret (GPT_OAUTH_CLIENT_SECRET, --client-secret-env or --client-secret-stdin), or leave --client-id out to let the doctor register a client as ChatGPT does';

/** The HTTP failure (timeout, size cap, connection) behind an openid-client error, in our words. */
export function underlyingMessage(err: unknown): string {
  for (let e = err as { cause?: unknown; message?: string } | undefined, i = 0; e && i < 6; e = e.cause as typeof e, i++) {
    if (e instanceof HttpFailure) return e.message;
  }
  return (err as Error | undefined)?.message ?? 'unknown error';
}

/** The run's own --deadline behind an openid-client error: the doctor's limit, not the server's fault. */
export function deadlineOf(err: unknown): Outcome | undefined {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 6; e = e.cause as typeof e, i++) {
    if (e instanceof HttpFailure && e.kind === 'deadline') return incomplete(e.message, 'run again with a larger --deadline (seconds)');
  }
  return undefined;
}
