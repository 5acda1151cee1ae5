/**
 * The grant broker: the one place that hands out sign-ins, codes, token pairs and extra clients,
 * and the one place that knows what each hand-out may invalidate on a sound server.
 *
 * ChatGPT signs in once per client and uses its newest token. The doctor signs in many times and
 * replays codes and refresh tokens, and sound servers react to that (RFC 9700 approves of each):
 *
 * 1. a sign-in for client C may end C's earlier grants (re-authorization revokes unredeemed
 *    codes, refresh and access tokens of the same user and client);
 * 2. a refresh may end the access token it replaces;
 * 3. a replay (a code or refresh token used twice) may end every grant of the user (reuse
 *    detection, or an OAuth proxy that maps every client onto one upstream grant);
 * 4. a pending authorization may live in a cookie between /authorize and the code, and a session
 *    may allow one interaction at a time (the login drivers keep those apart, src/login/).
 *
 * The rules, as the engine's declarations carry them:
 * - `grant` (the run's client's grant) is read by every check that uses its code, tokens or
 *   refreshes and by every sign-in on the ChatGPT path; a check that would sign in as the run's
 *   client again spends it.
 * - `user` (every grant of the test user) is read by every check that holds a grant; the replays
 *   spend it, so they come after everything else.
 * - Every sign-in that is not the ChatGPT path gets a client of its own where the server registers
 *   clients (dynamic registration) and no person signs in: `isolated` then runs it early
 *   (`Prepare.ownsSpent`). Where it cannot, or where each new client would cost the person a
 *   consent (`ownPublicClient`), the check runs on the run's client after every user of its
 *   grant, and alone (`alone`): no two of them overlap from the sign-in to their last request.
 * - A prepare that builds a grant of its own can be ended only by what ends every grant
 *   (`Prepare.endedBy: ['user']`): the replays wait for it, nothing else does.
 * - The replays never replay the run's own tokens (a sign-in as the run's client may have ended
 *   those already): refresh.rotation replays the last link of refresh.grant's chain on that
 *   check's own client, token.code-single-use redeems a code of its own first.
 */
import { HttpFailure } from '../../http/client.js';
import { readJsonObject } from '../../http/json.js';
import { registerClientCredentials, registerSecret } from '../../http/redact.js';
import { LoginError, SignInDeclined } from '../../login/driver.js';
import { newPkce, longState, randomToken, type Pkce } from '../../oauth/pkce.js';
import { safeText } from '../../text.js';
import { fixCommand, STYTCH_AUTHORIZATION_URL } from '../advice.js';
import { dcrRequestBody } from '../../chatgpt/client.js';
import { CheckAbort, currentCheck } from '../engine.js';
import type { CheckDef, Outcome } from '../types.js';
import { authorizeUrl, endpointUrl, resourceOf, type AppsContext, type AppsState, type Client } from './context.js';

export { GrantBroker } from './context.js';

/** A sign-in's result: the callback URL with its PKCE pair and state. */
export interface Authorized { callback: URL; pkce: Pkce; state: string; redirectUri: string }
/** A code, ready to be redeemed. */
export interface Code extends Authorized { code: string }

export interface AuthorizeOptions {
  /** Send a code_challenge (default true). */
  pkce?: boolean;
  /** The code_challenge_method (default S256, as ChatGPT sends). */
  pkceMethod?: 'S256' | 'plain';
  /** The scopes to request; default: ChatGPT's selection (`[]`: no scope parameter). */
  scope?: string[];
  resource?: string;
  /** Default: the login driver's redirect URI. */
  redirectUri?: string;
  /** ChatGPT's own path (the main sign-in, a step-up): never held back in `--login manual`. */
  chatgptPath?: boolean;
}

/**
 * One sign-in as `clientId` with ChatGPT's parameters (PKCE S256, a long state, the resource,
 * ChatGPT's scopes), through the login driver ("login N of M"). A sign-in the doctor could not
 * complete is `incomplete`; an error page from the authorization endpoint comes back as a `fail`
 * outcome for the caller to judge.
 */
export async function authorize(ctx: AppsContext, clientId: string, purpose: string, o: AuthorizeOptions = {}): Promise<Authorized | { outcome: Outcome }> {
  if (ctx.login.mode === 'manual' && !o.chatgptPath && !(await extraSignIns(ctx))) {
    // What this check needs (its own sign-in), and the run's count once, the same in every
    // check's detail (a count left at each check's turn read like a queue position).
    const all = ctx.broker.extraPlanned ?? 1;
    return { outcome: { status: 'skip', incomplete: true, detail: `needs a sign-in of its own beyond ChatGPT's (a paste; ${all === 1 ? 'the one such sign-in of this run was' : `the ${all} such sign-ins this run planned were`} declined): run with --login browser, where they happen in one tab`, fix: 'run with --login browser, or answer yes (--extra-sign-ins) to paste each one' } };
  }
  const pkce = newPkce();
  const state = longState();
  const redirectUri = o.redirectUri ?? ctx.login.redirectUri;
  const url = authorizeUrl(ctx, { clientId, state, redirectUri, scope: o.scope, resource: o.resource, ...(o.pkce === false ? {} : { pkce, pkceMethod: o.pkceMethod }) });
  ctx.s.logins++;
  ctx.broker.signIns++;
  try {
    return { callback: await ctx.login.obtain(url, state, purpose, o.redirectUri, { optional: !o.chatgptPath }), pkce, state, redirectUri };
  } catch (err) {
    if (err instanceof SignInDeclined) {
      ctx.s.logins--;
      ctx.broker.signIns--;
      return { outcome: { status: 'skip', incomplete: true, detail: err.why, fix: 'run with --extra-sign-ins to answer each one, or --login command to automate them' } };
    }
    if (!(err instanceof LoginError)) throw err;
    if (!err.serverSide) return { outcome: { status: 'skip', detail: `the doctor could not sign in: ${err.message}`, fix: err.hint, incomplete: true } };
    const what = /ended with no answer/.test(err.message) ? 'the sign-in was sent on to a page that does not answer' : 'the authorization endpoint answered with an error page';
    return { outcome: { status: 'fail', detail: `${what}: ${err.message}`, signIn: err.message } };
  }
}

/**
 * Supabase sends every sign-in to its Site URL + authorization path, and a new project's Site URL
 * is http://localhost:3000 (provider-apis.md §4): a sign-in that went there names that setting.
 */
function siteUrlDefault(ctx: AppsContext, detail: string): string | undefined {
  if (ctx.s.provider !== 'supabase' || !/\bhttps?:\/\/localhost:3000\//.test(detail)) return undefined;
  return 'Supabase: the consent page is the project\'s Site URL + authorization path, and the Site URL is still the default http://localhost:3000: set it to the origin of the app that hosts your consent page (Authentication → URL Configuration → Site URL; Management API site_url)';
}

/**
 * Stytch sends every sign-in to the project's authorization URL, a page of the user's app; one
 * that is the app's home page ("/") cannot be the IdentityProvider page (provider-apis.md §3).
 */
function stytchHomePage(ctx: AppsContext): string | undefined {
  if (ctx.s.provider !== 'stytch') return undefined;
  let u: URL;
  try { u = new URL(String(ctx.s.as?.authorization_endpoint)); } catch { return undefined; }
  if (u.pathname !== '/') return undefined;
  return `Stytch: the authorization URL is your app's home page (${safeText(u.origin, 120)}/); ${STYTCH_AUTHORIZATION_URL} ${fixCommand(ctx.opts.mcpUrl, `--authorization-url ${u.origin}/oauth/authorize`)} once the page exists`;
}

/**
 * The provider setting behind a sign-in that went wrong, when the provider's shape says it
 * (callers read `provider` and `as`): Supabase's default Site URL, Stytch's home page as the
 * authorization URL. Added before the generic fix.
 */
export function providerSignInHint(ctx: AppsContext, detail: string): string | undefined {
  return siteUrlDefault(ctx, detail) ?? stytchHomePage(ctx);
}

/**
 * `--login manual`: the person pastes one URL per sign-in. The ChatGPT path needs one; the
 * security checks need about a dozen more, so they are asked for once (or `--extra-sign-ins`).
 */
function extraSignIns(ctx: AppsContext): Promise<boolean> {
  ctx.broker.extra ??= (async () => {
    // Counted once, when the first of them is asked for: the question and every skipped check's
    // detail say the same number.
    const more = ctx.broker.extraPlanned = Math.max(1, ctx.plannedLogins - ctx.s.logins);
    if (ctx.opts.extraSignIns !== undefined) return ctx.opts.extraSignIns;
    if (!ctx.login.confirm) return false;
    return ctx.login.confirm(`${more} more sign-ins (a paste each) are needed for the security checks and ChatGPT's other paths: continue?`);
  })();
  return ctx.broker.extra;
}

/**
 * A server that asked the person again on a sign-in that repeats one they had answered (the same
 * client, scopes and resource) asks on every sign-in (a consent page each time, or a session that does not last): said once,
 * and the person chooses once whether to answer the remaining ones (`--extra-sign-ins` /
 * `--no-extra-sign-ins`; without a terminal, the run goes on).
 */
export function everySignInAsks(ctx: AppsContext, where: string, confirm = ctx.login.confirm): Promise<boolean> {
  ctx.broker.everyTime ??= (async () => {
    ctx.broker.note('asks-every-time', `the server asked the person again on a sign-in that repeated an earlier one (same client, scopes and resource; ${safeText(where, 120)}): it asks on every sign-in`);
    if (ctx.opts.extraSignIns !== undefined) return ctx.opts.extraSignIns;
    if (!confirm) return true;
    const more = Math.max(1, ctx.plannedLogins - ctx.s.logins);
    return confirm(`The server asked you again for a sign-in you had already answered (${safeText(where, 120)}): it asks every time. About ${more} more sign-in${more === 1 ? '' : 's'} are planned for the security checks, each a page to answer in the same tab. Continue with them (no: finish without those checks)?`);
  })();
  return ctx.broker.everyTime;
}

/**
 * The error a sign-in was redirected back with, as the key that groups the sign-ins that met the
 * same one (an outcome's `signIn`: an error every sign-in meets is their shared cause, whatever
 * each check varies — sharedSignInFailure in src/doctor/suites/apps.ts).
 */
export function signInError(callback: URL): string | undefined {
  const e = callbackError(callback);
  return e ? `the authorization server redirected back with ${e}` : undefined;
}

/** The callback's error, in words, or undefined. */
function callbackError(callback: URL): string | undefined {
  const error = callback.searchParams.get('error');
  if (!error) return undefined;
  const desc = callback.searchParams.get('error_description');
  return `${safeText(error, 60)}${desc ? ` (${safeText(desc, 200)})` : ''}`;
}

/** A code for `clientId` on the run's redirect URI, or the outcome that ends the calling check. */
export async function code(ctx: AppsContext, clientId: string, purpose: string, o: AuthorizeOptions = {}): Promise<Code | { outcome: Outcome }> {
  const got = await authorize(ctx, clientId, purpose, o);
  if ('outcome' in got) return got.outcome.status === 'fail' ? { outcome: { status: 'skip', detail: `could not obtain a code: ${got.outcome.detail}` } } : got;
  const error = callbackError(got.callback);
  if (error) return { outcome: { status: 'skip', detail: `the authorization server refused the request: ${error}` } };
  const c = got.callback.searchParams.get('code');
  if (!c) return { outcome: { status: 'skip', detail: 'the redirect carried no code' } };
  registerSecret(c, 'code');
  return { ...got, code: c };
}

/** `code`, with a refusal thrown as the calling check's outcome. */
export async function codeOrAbort(ctx: AppsContext, clientId: string, purpose: string, o: AuthorizeOptions = {}): Promise<Code> {
  const got = await code(ctx, clientId, purpose, o);
  if ('outcome' in got) throw new CheckAbort(got.outcome);
  return got;
}

/**
 * Register a client (RFC 7591) with ChatGPT's body and the run's redirect URI, for a check of
 * its own: a negative test's sign-in, a second or a confidential client. Deleted again when the
 * check is done (`shared`: when the run is).
 */
export async function registerClient(ctx: AppsContext, overrides: Record<string, unknown> = {}, o: { shared?: boolean } = {}): Promise<Client | { skip: string }> {
  if (typeof ctx.s.as?.registration_endpoint !== 'string') return { skip: 'the server offers no dynamic registration' };
  let endpoint: string;
  try { endpoint = endpointUrl(ctx, 'registration_endpoint'); } catch { return { skip: 'the registration_endpoint is not an absolute URL (see dcr.register)' }; }
  // Registrations are limited per address on some servers (Supabase), so: ChatGPT's own go first
  // (dcr.register, dcr.connector-callback); the first of the doctor's own goes alone; after a rate
  // limit none is sent — the doctor's clients are its own need, never worth a finding, and the
  // checks that wanted one use the fallbacks the run has without registration.
  await ctx.broker.chatgptRegistrations;
  const first = ctx.broker.firstRegistration;
  let done: () => void = () => undefined;
  if (first) await first;
  else ctx.broker.firstRegistration = new Promise<void>((r) => { done = r; });
  let res;
  try {
    if (ctx.broker.registrationLimited) {
      ctx.broker.registrationsForgone++;
      return { skip: ctx.broker.registrationLimited };
    }
    res = await ctx.http.send({ method: 'POST', url: endpoint, json: { ...dcrRequestBody([ctx.login.redirectUri], `gpt-oauth doctor probe ${++ctx.broker.registrations}`), ...overrides } });
  } catch (err) {
    if (!(err instanceof HttpFailure) || err.kind !== 'rate-limited') throw err;
    ctx.broker.registrationLimited ??= err.message;
    ctx.broker.registrationsForgone++;
    return { skip: err.message };
  } finally {
    done();
  }
  const j = readJsonObject(res, false);
  if ((res.status !== 201 && res.status !== 200) || !j.ok || typeof j.value.client_id !== 'string') return { skip: `registering another client was refused (${res.status})` };
  const body = j.value;
  if (typeof body.client_secret === 'string') registerClientCredentials(String(body.client_id ?? ''), body.client_secret, false);
  // A client_id the run already holds is not another client: a server that deduplicates
  // registrations (Stytch, for identical public registrations) answered with that one. The check
  // then uses the fallbacks of a server without registration (never the cleanup: not ours alone).
  const id = String(body.client_id);
  if (id === ctx.s.client?.clientId || ctx.broker.issued.has(id)) {
    ctx.broker.note('dedup', `the server answered a registration with a client_id it had already issued to this run (${safeText(id, 80)}): it deduplicates registrations, so that client is not another client — checks that needed a client of their own used the run's client, or a client_id the server never issued`);
    return { skip: `the server answered with a client it had already issued (${safeText(id, 80)}): not another client` };
  }
  ctx.broker.issued.add(id);
  ctx.broker.clientsRegistered++;
  if (typeof body.registration_access_token === 'string') {
    registerSecret(body.registration_access_token, 'registration_access_token');
    // A client several checks share is deleted with the run's, at the end.
    if (typeof body.registration_client_uri === 'string') ctx.s.cleanup.push({ uri: body.registration_client_uri, token: body.registration_access_token, owner: o.shared ? undefined : currentCheck.getStore() });
  }
  const m = body.token_endpoint_auth_method;
  return {
    clientId: String(body.client_id), clientSecret: typeof body.client_secret === 'string' ? body.client_secret : undefined,
    authMethod: m === 'client_secret_basic' || m === 'client_secret_post' ? m : 'none', source: 'dcr',
  };
}

/**
 * A client_id the server never issued, for the client-binding tests on servers without
 * registration (RFC 6749 Appendix A.1: VSCHAR). A server that issues tokens to it accepts any
 * client. Its secret is random: a probe never carries a real credential.
 */
export function unregisteredClient(): Client {
  const clientId = `gpt-oauth-unregistered-${randomToken(8)}`;
  const clientSecret = randomToken(24);
  registerClientCredentials(clientId, clientSecret, false);
  return { clientId, clientSecret, authMethod: 'client_secret_post', source: 'predefined' };
}

/**
 * The other client of a binding test: a second registered client where the server registers
 * clients, otherwise a client_id it never issued (a server that accepts any client_id is caught
 * that way). The client-binding tests judge both the same: tokens issued to it are the finding.
 */
export async function otherClient(ctx: AppsContext, own: boolean): Promise<{ client: Client; registered: boolean }> {
  if (own) {
    // It only presents tokens issued to others and never signs in, so the binding checks share
    // one: a registration fewer (registerClient keeps it distinct from every client of the run).
    const c = await (ctx.broker.otherClient ??= registerClient(ctx, {}, { shared: true }));
    if (!('skip' in c)) return { client: c, registered: true };
  }
  return { client: unregisteredClient(), registered: false };
}

/** Redeem `c` as `client` (its own authentication) for the run's resource. */
export function redeemForm(ctx: AppsContext, c: Code, resource = resourceOf(ctx)): Record<string, string> {
  return { grant_type: 'authorization_code', code: c.code, redirect_uri: c.redirectUri, code_verifier: c.pkce.verifier, resource };
}

/**
 * What an isolated check prepared: `own` is the client it registered for itself (then `value` is
 * what it obtained early); without one, the work happens in `run`, on the run's client, alone.
 */
interface Isolation<T> { own?: Client; value?: T }

type Reads = NonNullable<CheckDef<AppsContext>['reads']>;
const HANDOUT_READS: Reads = ['as', 'client', 'prm', 'scopes'];

/**
 * A check whose sign-ins are not the ChatGPT path (a negative test, a second resource, a
 * reconnect), built so that it cannot disturb the run's grant:
 * - `client(ctx)` finds it a client of its own (default: a public client registered like
 *   ChatGPT's); `obtain` then signs in with it as soon as the run's client exists, and `judge`
 *   runs once the check's needs are met. Both may read only what a sign-in needs (`as`,
 *   `client`, `prm`, `scopes`);
 * - without one (no dynamic registration, CIMD, a predefined client), `obtain` and `judge` run
 *   on the run's client, after every check that uses its grant, and alone.
 */
export function isolated<P>(def: Omit<CheckDef<AppsContext>, 'prepare' | 'run' | 'spends'> & {
  prepareRounds?: number;
  client?: (ctx: AppsContext) => Promise<Client | undefined>;
  obtain(ctx: AppsContext, client: Client, own: boolean): Promise<P>;
  judge(ctx: AppsContext, got: P, client: Client, own: boolean): Promise<Outcome> | Outcome;
}): CheckDef<AppsContext> {
  const { obtain, judge, client, prepareRounds, ...rest } = def;
  const reads = [...new Set([...(rest.reads ?? []), ...HANDOUT_READS])] as Reads;
  return {
    ...rest,
    reads,
    spends: ['grant'],
    prepare: {
      needs: ['dcr.register'],
      // Only what a sign-in needs: a prepare waits for the writers of what it reads.
      reads: HANDOUT_READS,
      rounds: prepareRounds ?? 2,
      ownsSpent: (p) => !!(p as Isolation<P>).own,
      // It signs in only with a client of its own (the run's client waits for `run`): only what
      // ends every grant of the user can end what it builds.
      endedBy: ['user'],
      async run(ctx): Promise<Isolation<P>> {
        const own = await (client ?? ownPublicClient)(ctx);
        return own ? { own, value: await obtain(ctx, own, true) } : {};
      },
    },
    run(ctx, prepared) {
      const p = prepared as Isolation<P>;
      if (p.own) return judge(ctx, p.value as P, p.own, true);
      const run = ctx.s.client!;
      if (ctx.opts.keepGrant) return { status: 'skip', detail: 'not run with --save-refresh-token: without a client of its own this check signs in as the run\'s client, which can end the grant of the token being saved' };
      return ctx.broker.alone(async () => judge(ctx, await obtain(ctx, run, false), run, false));
    },
  };
}

/**
 * A public client of the check's own, where the server registers clients, when no person signs
 * in. When one does (`--login browser`, `command`, `manual`), a new client costs a consent
 * screen on most hosted servers (and on the sandbox with --consent-page), and every sign-in
 * passes one tab in turn anyway: the check signs in as the run's client, whose consent was given,
 * after every user of its grant and alone — the rules the run keeps without registration.
 * `--save-refresh-token` keeps clients of their own: the saved grant must survive the run.
 */
export async function ownPublicClient(ctx: AppsContext, o: { shared?: boolean } = {}): Promise<Client | undefined> {
  if (ctx.login.mode !== 'auto' && !ctx.opts.keepGrant) return undefined;
  const c = await registerClient(ctx, {}, o);
  return 'skip' in c || c.authMethod !== 'none' ? undefined : c;
}

/** The state keys a check holding a grant reads, added to the catalog (src/checks/apps/index.ts). */
export const GRANT_KEYS = ['grant', 'user'] as const satisfies readonly (keyof AppsState)[];
