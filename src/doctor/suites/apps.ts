/** Runs the `apps` suite: the engine, the catalog, the login driver and cleanup. */
import { invocation } from '../../invocation.js';
import { APPS_CHECKS } from '../../checks/apps/index.js';
import { type AppsContext, type AppsOptions } from '../../checks/apps/context.js';
import { everySignInAsks, GrantBroker } from '../../checks/apps/grants.js';
import { createLoginDriver } from '../../login/index.js';
import { SignInDeclined, type LoginDriver } from '../../login/driver.js';
import { currentCheck, currentPriority, planChecks, runChecks, selectionOf } from '../../checks/engine.js';
import type { CheckDef, CheckResult, ReportSelection, Selection } from '../../checks/types.js';
import type { Report, SuiteRunOptions } from '../types.js';
import type { HttpClient } from '../../http/client.js';
import { buildReport } from '../verdict.js';
import { safeText, shellQuote } from '../../text.js';

export interface AppsRunOptions extends AppsOptions, SuiteRunOptions {
  /** Start from this refresh token instead of a new authorization (CI). */
  refreshToken?: string;
  refreshTokenSource?: string;
}

/**
 * Checks that need a new authorization (they declare `logins`, or judge the main one); skipped
 * when starting from a refresh token.
 */
const needsAuthorization = (c: CheckDef<AppsContext>) => (c.logins ?? 0) > 0 || c.id === 'authz.iss';
/** Checks that can revoke the grant (reuse detection); skipped when the grant must survive. */
const REVOKES_GRANT = ['refresh.rotation', 'token.code-single-use'];

/** The catalog adapted to the run's mode (refresh-token start, or keeping the grant). */
function catalogFor(o: AppsRunOptions): CheckDef<AppsContext>[] {
  // A check replaced by a skip loses its prepare half too (it would sign in or register).
  return APPS_CHECKS.map((c) => {
    // refresh.rotation signs in only for a client of its own; what rules it out with a kept
    // refresh token is that without one it replays that very token.
    if (o.refreshToken && needsAuthorization(c) && c.id !== 'refresh.rotation') {
      return { ...c, prepare: undefined, run: () => ({ status: 'skip' as const, nonBlocking: true, detail: `needs a new authorization; not run when starting from the refresh token in ${o.refreshTokenSource ?? 'the environment'}` }) };
    }
    if ((o.refreshToken || o.keepGrant) && REVOKES_GRANT.includes(c.id)) {
      return { ...c, prepare: undefined, run: () => ({ status: 'skip' as const, detail: o.refreshToken ? 'not run with a kept refresh token: replaying it would revoke the token family CI depends on' : 'not run with --save-refresh-token: it could revoke the grant of the token being saved' }) };
    }
    if (o.refreshToken && c.id === 'token.exchange') return { ...c, run: (x: AppsContext) => tokensFromRefresh(x, o) };
    // Its chain on a grant of its own needs a sign-in: from a refresh token it walks the run's grant.
    if (o.refreshToken && c.id === 'refresh.grant') return { ...c, prepare: undefined };
    return c;
  });
}

/**
 * The checks this run's mode left out (no sign-in from a kept refresh token; nothing that could
 * revoke the grant being kept) did not run, which is not "does not apply": the report names them
 * as a selection does (`selection.mode`), each with what would run them, so a verdict built on
 * them is `partial` — what the run could check passed, never "ChatGPT can connect" — and exits 0
 * as `--only` does: a CI job from a saved refresh token is green when nothing it checks failed.
 */
function leftOutByMode(results: CheckResult[], o: AppsRunOptions, issSupported: boolean): { results: CheckResult[]; mode?: NonNullable<ReportSelection['mode']> } {
  const source = o.refreshTokenSource ?? 'the environment';
  const leftOut: string[] = [];
  let chatgptRedirect = false;
  const out = results.map((r) => {
    if (r.status !== 'skip' || r.incomplete) return r;
    // --login browser cannot end a sign-in on ChatGPT's own redirect URI (needsChatgptRedirect).
    // The per-connector callback is one ChatGPT uses only where the server lacks RFC 9207 iss:
    // with iss, not having tried it does not touch the ChatGPT verdict (its finding would be interop).
    if (/^this authorization must end on ChatGPT's own redirect URI/.test(r.detail) && !(r.id === 'dcr.connector-callback' && issSupported)) {
      leftOut.push(r.id);
      chatgptRedirect = true;
      return r;
    }
    if (!o.refreshToken && !o.keepGrant) return r;
    const signIn = o.refreshToken && (/^needs a new authorization; not run when starting from the refresh token/.test(r.detail) || /^no code exchange when starting from /.test(r.detail));
    const revokes = REVOKES_GRANT.includes(r.id) && /^not run with (a kept refresh token|--save-refresh-token)/.test(r.detail);
    if (signIn || revokes) leftOut.push(r.id);
    if (signIn) return { ...r, fix: `a run from the refresh token in ${source} makes no new sign-in: run with --login auto, command or browser to test this` };
    if (revokes) return { ...r, fix: o.refreshToken ? 'run with --login auto, command or browser (without --refresh-token-env) to test this' : 'run without --save-refresh-token to test this' };
    return r;
  });
  const why = [
    o.refreshToken ? `a run from the refresh token in ${source} makes no new sign-in and replays nothing` : o.keepGrant ? '--save-refresh-token replays nothing that could revoke the grant it saves' : '',
    chatgptRedirect ? '--login browser cannot end a sign-in on ChatGPT\'s own redirect URI, which ChatGPT uses with this server' : '',
  ].filter(Boolean).join('; ');
  return { results: out, ...(leftOut.length ? { mode: { why, leftOut } } : {}) };
}

async function tokensFromRefresh(ctx: AppsContext, o: AppsRunOptions) {
  const { resourceOf } = await import('../../checks/apps/context.js');
  const { judgeTokenResponse, tokenRequest } = await import('../../checks/apps/token-endpoint.js');
  const res = await tokenRequest(ctx, { grant_type: 'refresh_token', refresh_token: o.refreshToken, resource: resourceOf(ctx) });
  const judged = judgeTokenResponse(res, 'refresh with the kept refresh token');
  if (judged.tokens) ctx.s.tokens = judged.tokens;
  if (judged.outcome && /invalid_client/.test(judged.outcome.detail)) {
    const { CLIENT_HINT } = await import('../../checks/apps/token-endpoint.js');
    return { status: 'skip' as const, incomplete: true as const, detail: `the token endpoint refused the client you gave (${judged.outcome.detail})`, fix: CLIENT_HINT };
  }
  // invalid_grant for the token the tester gave: used up (rotation made it single-use) or
  // revoked. The tester's credential, not a fault of the server: incomplete (RFC 6749 §5.2).
  if (judged.outcome && /invalid_grant/.test(judged.outcome.detail)) {
    return {
      status: 'skip' as const, incomplete: true as const,
      detail: `the refresh token in ${o.refreshTokenSource ?? 'the environment'} was refused with invalid_grant: it was already used (a server that rotates refresh tokens makes each one single-use) or it was revoked`,
      fix: `Save a new one with \`${invocation()} doctor ${ctx.opts.mcpUrl} --save-refresh-token\` (it prints how to read it for your CI secret) and update ${o.refreshTokenSource ?? 'the secret'}; against a server that rotates refresh tokens, prefer --login command in CI.`,
    };
  }
  if (judged.outcome?.status === 'fail' && !judged.tokens?.accessToken) {
    return { ...judged.outcome, fix: `Obtain a new refresh token with \`gpt-oauth doctor ${ctx.opts.mcpUrl} --save-refresh-token\` and update ${o.refreshTokenSource}; servers that rotate refresh tokens make each one single-use, so CI must store the newest one or use --login command.` };
  }
  return { status: 'skip' as const, nonBlocking: true, detail: `no code exchange when starting from ${o.refreshTokenSource ?? 'a refresh token'}; the access token for the following checks came from a refresh grant` };
}

/**
 * Checks in flight at once by default. Politeness is the HTTP layer's per-origin cap; this only
 * has to be high enough that a check on the critical path is never held back behind negative
 * tests that are merely waiting (their requests queue by priority at the HTTP layer instead).
 */
const DEFAULT_CONCURRENCY = 16;

/**
 * The login driver as the checks share it: sign-ins happen one at a time unless the driver
 * can run several at once (`--login auto`; a person, a login command or a browser whose tabs
 * share one session cannot), and each check's count is kept. The checks ask for their sign-ins
 * as early as they can, so several usually wait; each is labelled "login N of M" when its turn
 * comes (N in the order they are shown, M the sign-ins the plan still expects), so the person
 * always sees how many remain.
 */
function countedLogins(driver: LoginDriver, used: Map<string, number>, expected: () => number, gate: (where: string, confirm?: (q: string) => Promise<boolean>) => Promise<boolean>): LoginDriver {
  // One turn at a time; among the waiting ones, the most urgent (the longest chain of work that
  // waits for it, currentPriority) goes next, so a one-tab chain serves the critical path first.
  const waiting: { priority: number; seq: number; go: () => void }[] = [];
  let busy = false;
  let seq = 0;
  const next = () => {
    if (busy || !waiting.length) return;
    waiting.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    busy = true;
    waiting.shift()!.go();
  };
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
    waiting.push({
      priority: currentPriority.getStore() ?? 0,
      seq: seq++,
      go: () => { work().then(resolve, reject).finally(() => { busy = false; next(); }); },
    });
    // Let the requests of this event-loop turn gather before choosing.
    setImmediate(next);
  });
  let shown = 0;
  let total: number | undefined;
  return {
    mode: driver.mode,
    redirectUri: driver.redirectUri,
    get askedAgain() { return driver.askedAgain; },
    close: () => driver.close(),
    // A question shares the person's input with the pastes: it takes its turn like a sign-in.
    ...(driver.confirm ? { confirm: (q: string) => inTurn(() => driver.confirm!(q)) } : {}),
    obtain(url, state, purpose, redirectUri, how) {
      const id = currentCheck.getStore();
      if (id) used.set(id, (used.get(id) ?? 0) + 1);
      if (driver.concurrent) return driver.obtain(url, state, purpose, redirectUri);
      return inTurn(async () => {
        // Decided when its turn comes: the sign-in before it may have shown that the server asks
        // the person every time.
        if (how?.optional && driver.askedAgain && !(await gate(driver.askedAgain, driver.confirm?.bind(driver)))) {
          if (id) used.set(id, (used.get(id) ?? 1) - 1);
          throw new SignInDeclined('the server asks the person on every sign-in, and the run finished without the sign-ins of the remaining security checks (as answered)');
        }
        shown++;
        // One total for the run, set at the first sign-in: the most it can need. Checks that turn
        // out not to apply need fewer, so it is "up to" (a total that dropped mid-run read as a
        // miscount: "10 of 13", then "11 of 12"); raised only if the run needs more.
        total = Math.max(total ?? expected(), shown);
        return driver.obtain(url, state, `login ${shown} of up to ${total}: ${purpose}`, redirectUri);
      });
    },
  };
}

/**
 * Evidence that can be the doctor's own doing rather than the server's: a grant, code or token
 * refused or revoked (invalid_grant, "not found", a 401 on a token just issued), a code, state or
 * verifier mismatch, or an error page during a sign-in.
 */
const INTERFERENCE = /invalid_grant|not found|revoked|\b401\b|code.?verifier|verifier|state came back|unknown state|mismatch|error page|could not obtain|does not match/i;

/** One pass of the catalog on a fresh suite state (a fresh client, fresh sign-ins). */
async function runOnce(o: AppsRunOptions, login: LoginDriver, used: Map<string, number>, catalog: CheckDef<AppsContext>[], broker: GrantBroker, current: { ctx?: AppsContext }, selection: Selection | undefined, concurrency: number, onResult?: (r: CheckResult) => void): Promise<{ results: CheckResult[]; ctx: AppsContext }> {
  const plan = planChecks(catalog, selection).run;
  const planned = plan.reduce((n, c) => n + (c.logins ?? 0), 0);
  // ChatGPT's path registers before the doctor's own clients (grants.ts registerClient), so a
  // server's registration limit meets the doctor's clients, never ChatGPT's: two runs in a row
  // judge ChatGPT's path the same.
  // (A sequential pass keeps the catalog order, where ChatGPT's registration comes first anyway.)
  if (concurrency > 1 && plan.some((c) => c.id === 'dcr.connector-callback')) broker.holdRegistrations();
  const ctx: AppsContext = {
    http: o.http,
    login,
    opts: o,
    say: o.say ?? (() => undefined),
    broker,
    s: { provider: 'generic', cleanup: [], logins: 0 },
    plannedLogins: Math.max(planned, 1),
  };
  current.ctx = ctx; // "login N of M" counts against the pass that runs now
  try {
    // "login N of M": the expected count drops as checks need fewer sign-ins than
    // planned (not applicable to this server, skipped, or not possible in this login mode).
    const results = await runChecks(catalog, ctx, selection, {
      onResult,
      onStart: (id) => o.onStart?.(id),
      onFinish: (def, ran) => {
        // However it ended (skipped for a need too), ChatGPT's registrations are over.
        if (def.id === 'dcr.connector-callback') broker.registrationsFree();
        const unused = (def.logins ?? 0) - (ran ? used.get(def.id) ?? 0 : 0);
        if (unused > 0) ctx.plannedLogins = Math.max(ctx.s.logins, ctx.plannedLogins - unused);
        // A check's own clients go as soon as it is done (the run's client, at the end).
        if (!o.keepGrant && def.id !== 'dcr.register') {
          const mine = ctx.s.cleanup.filter((c) => c.owner === def.id);
          ctx.s.cleanup = ctx.s.cleanup.filter((c) => c.owner !== def.id);
          o.http.later(cleanup(ctx, mine));
        }
      },
      free: ['cleanup', 'logins'], onViolation: o.onStateViolation,
      concurrency,
    });
    return { results, ctx };
  } finally {
    // The run's own client last; the report need not wait for it (HttpClient.close does).
    if (!o.keepGrant) o.http.later(cleanup(ctx, ctx.s.cleanup));
  }
}

export async function runAppsSuite(o: AppsRunOptions): Promise<Report> {
  const startedAt = new Date();
  const say = o.say ?? (() => undefined);
  const used = new Map<string, number>();
  const broker = new GrantBroker();
  const current: { ctx?: AppsContext } = {};
  const login = countedLogins(await createLoginDriver({
    mode: o.login, http: o.http, say, loginCommand: o.loginCommand, loginTimeoutMs: o.loginTimeoutMs, env: o.env, stdin: o.stdin, ask: o.interactive, aside: o.aside, onWait: o.onWait, note: (k, t) => broker.note(k, t),
    // A client the doctor registers takes the loopback redirect: one command for every sign-in.
    chain: !o.clientId,
  }), used, () => current.ctx?.plannedLogins ?? 1, (where, confirm) => everySignInAsks(current.ctx!, where, confirm));
  o.http.opts.tagOf = () => currentCheck.getStore();
  o.http.opts.nameOf ??= (url) => serverName(url, current.ctx?.s.as, o.mcpUrl);
  o.http.opts.priorityOf = () => currentPriority.getStore() ?? 0;
  const catalog = catalogFor(o);
  let results: CheckResult[];
  let ctx: AppsContext | undefined;
  const recheck = { rechecked: 0, confirmed: 0, cleared: [] as string[] };
  let registrationRequests = 0;
  try {
    const first = await runOnce(o, login, used, catalog, broker, current, o.selection, o.concurrency ?? DEFAULT_CONCURRENCY, o.onResult);
    ctx = first.ctx;
    results = first.results;
    // A failure is reported only if it reproduces alone: every failure whose evidence can be the
    // doctor's own interference runs again with nothing else running, on a fresh client and
    // fresh sign-ins. (Not with --login manual: each sign-in would be another paste.)
    const suspects = o.login === 'manual' ? [] : results.filter((r) => r.status === 'fail' && INTERFERENCE.test(r.detail));
    for (const r of suspects) {
      recheck.rechecked++;
      const alone = (await runOnce(o, login, used, catalog, new GrantBroker(), current, { only: [r.id] }, 1)).results.find((x) => x.id === r.id);
      if (alone && (alone.status === 'pass' || alone.status === 'info' || alone.status === 'warn')) {
        recheck.cleared.push(r.id);
        broker.note(`recheck:${r.id}`, `${r.id} failed while other checks ran (${r.detail.slice(0, 200)}) and ${alone.status === 'pass' ? 'passed' : `gave ${alone.status}`} alone: the failure came from the doctor's own sign-ins, refreshes or replays, not from the server`);
        results[results.indexOf(r)] = { ...alone, detail: `${alone.detail} (re-checked alone: in the full run it failed because of the doctor's own concurrent probing)` };
      } else if (alone?.status === 'fail') {
        recheck.confirmed++;
        results[results.indexOf(r)] = { ...r, detail: `${r.detail} (confirmed alone)` };
      }
    }
    // The checks that were skipped only because a cleared one "failed" run now, together and one
    // after another (the isolation rules hold by construction in a sequential pass).
    if (recheck.cleared.length) {
      const blocked = results.filter((r) => r.status === 'skip' && /^needs \S+, which (failed|did not run)/.test(r.detail)).map((r) => r.id);
      if (blocked.length) {
        const again = (await runOnce(o, login, used, catalog, new GrantBroker(), current, { only: blocked }, 1)).results;
        for (const r of again) results[results.findIndex((x) => x.id === r.id)] = r;
      }
    }
    sharedSignInFailure(results);
    acceptsWhateverItIsSent(results);
    if (ctx) wrongUrl(results, ctx.s.challenge?.status, ctx.s.prm?.resource, o.mcpUrl);
    registrationRequests = registrationNote(o.http, ctx?.s.as, broker);
  } finally {
    await login.close();
  }
  const byMode = leftOutByMode(results, o, ctx?.s.as?.authorization_response_iss_parameter_supported === true);
  results = byMode.results;
  const selected = selectionOf(APPS_CHECKS, o.selection);
  const report = buildReport('apps', o.mcpUrl, startedAt, results, {
    selection: byMode.mode ? { ...(selected ?? { notSelected: { chatgpt: 0, security: 0, interop: 0 } }), mode: byMode.mode } : selected,
    requests: o.http.requestCount, login: o.refreshToken ? 'refresh-token' : o.login,
    ...(broker.notes.size ? { notes: [...broker.notes.values()] } : {}),
    ...(recheck.rechecked ? { recheck } : {}),
  });
  // What discovery found, for `init` to fill templates with (not part of the JSON report).
  const as = ctx!.s.as;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const prmScopes = ctx!.s.prm?.scopes_supported;
  Object.defineProperty(report, 'discovered', {
    value: {
      provider: ctx!.s.provider, issuer: str(as?.issuer), jwksUri: str(as?.jwks_uri), authUrl: str(as?.authorization_endpoint), tokenUrl: str(as?.token_endpoint),
      resource: str(ctx!.s.prm?.resource), scopes: Array.isArray(prmScopes) && prmScopes.every((x) => typeof x === 'string') ? prmScopes as string[] : undefined,
    },
    enumerable: false,
  });
  Object.defineProperty(report, 'stats', { value: { signIns: broker.signIns, clientsRegistered: broker.clientsRegistered, registrationRequests, rechecked: recheck.rechecked }, enumerable: false });
  // The newest refresh token and its client, for --save-refresh-token (never printed).
  const rt = ctx!.s.refreshed?.refreshToken ?? ctx!.s.tokens?.refreshToken;
  if (rt && ctx!.s.client) Object.defineProperty(report, 'kept', { value: { refreshToken: rt, clientId: ctx!.s.client.clientId, clientSecret: ctx!.s.client.clientSecret }, enumerable: false });
  return report;
}

/**
 * The URL given is not the MCP endpoint, and the server says which one is: a POST without a token
 * answered 404 or 405 (no MCP endpoint there) and the protected-resource metadata names another
 * URL of the same server as its `resource` (RFC 9728 §3.3) — typically the origin given instead of
 * …/mcp. resource.challenge then leads with "Did you mean <that URL>?" and explains the failures
 * that only follow from talking to the wrong URL (the resource mismatch, the 404s with a token).
 */
function wrongUrl(results: CheckResult[], status: number | undefined, resource: unknown, mcpUrl: string): void {
  if ((status !== 404 && status !== 405) || typeof resource !== 'string' || resource === mcpUrl) return;
  let named: URL;
  try {
    named = new URL(resource);
    if (named.origin !== new URL(mcpUrl).origin) return;
  } catch {
    return;
  }
  const i = results.findIndex((r) => r.id === 'resource.challenge' && r.status === 'fail');
  if (i < 0) return;
  const url = safeText(named.href, 300);
  const knockOn = results.filter((r) => r.status === 'fail' && r.id !== 'resource.challenge'
    && (r.id === 'prm.resource' || new RegExp(`\\b${status}\\b`).test(r.detail))).map((r) => r.id);
  const r = results[i]!;
  results[i] = {
    ...r,
    detail: `Did you mean ${url}? ${r.detail.replace(/ \(confirmed alone\)$/, '')}, and the server's protected-resource metadata names ${url} as its resource${knockOn.length ? `; that explains ${knockOn.join(', ')}` : ''}`,
    fix: `Give ChatGPT the MCP URL ${url} (check it first: \`gpt-oauth doctor ${shellQuote(named.href).replace(/`/g, '')}\`).`,
    explains: [...new Set([...(r.explains ?? []), ...knockOn])],
  };
}

/** "the authorization server" or "the MCP server", by the URL's endpoint or origin (rate-limit messages). */
function serverName(url: URL, as: Record<string, unknown> | undefined, mcpUrl: string): string | undefined {
  const at = (v: unknown) => { try { return typeof v === 'string' ? new URL(v) : undefined; } catch { return undefined; } };
  const endpoints = ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'jwks_uri', 'issuer'].map((k) => at(as?.[k])).filter((u): u is URL => !!u);
  if (endpoints.some((e) => e.origin === url.origin && e.pathname === url.pathname)) return 'the authorization server';
  if (url.origin === new URL(mcpUrl).origin) return 'the MCP server';
  if (endpoints.some((e) => e.origin === url.origin)) return 'the authorization server';
  return undefined;
}

/**
 * How many registrations the run sent, and why (ChatGPT sends one): the report says it, because
 * providers limit registrations per address and a second run soon after meets that limit. Returns
 * the count (the bench prints it).
 */
function registrationNote(http: HttpClient, as: Record<string, unknown> | undefined, broker: GrantBroker): number {
  const endpoint = typeof as?.registration_endpoint === 'string' ? as.registration_endpoint : undefined;
  if (!endpoint) return 0;
  const sent = http.trace.filter((e) => e.method === 'POST' && e.url === endpoint && e.status !== 429 && e.status !== 503);
  if (!sent.length) return 0;
  const by = (tag: (t: string | undefined) => boolean) => sent.filter((e) => tag(e.tag)).length;
  const own = by((t) => t === 'dcr.register');
  const probes = by((t) => !!t?.startsWith('dcr.') && t !== 'dcr.register');
  const isolation = sent.length - own - probes;
  const parts = [own ? `${own} for ChatGPT's client (dcr.register)` : '', isolation ? `${isolation} for clients of checks whose sign-ins must not end the run's grant` : '', probes ? `${probes} probing what registration accepts (dcr.*)` : ''].filter(Boolean);
  broker.note('registrations', `the doctor sent ${sent.length} registration request${sent.length === 1 ? '' : 's'}: ${parts.join(', ')}; ChatGPT sends one per connector`);
  if (broker.registrationLimited) {
    broker.note('registration-limited', `${safeText(broker.registrationLimited, 300)}: ${broker.registrationsForgone} more client${broker.registrationsForgone === 1 ? ' was' : 's were'} not registered, and those checks used the run's own client or a client_id the server never issued`);
  }
  return sent.length;
}

/** Delete the clients the run registered (RFC 7592), best effort and quietly. */
async function cleanup(ctx: AppsContext, clients: AppsContext['s']['cleanup']): Promise<void> {
  // Off the critical path: the lowest priority at the HTTP layer.
  await currentPriority.run(-1, () => Promise.all(clients.map((c) => ctx.http.send({ method: 'DELETE', url: c.uri, headers: { authorization: `Bearer ${c.token}` }, timeoutMs: 3000, rateLimit: 'return' }).catch(() => undefined))));
}

/**
 * What each kind of validation an authorization server does is judged by: a server that fails
 * one of every group validates nothing of what it is sent.
 */
const VALIDATIONS: [string, string[]][] = [
  ['any client_id', ['token.code-client-binding', 'token.client-auth', 'refresh.client-binding']],
  ['any redirect_uri', ['authz.redirect-exact', 'token.redirect-binding']],
  ['a used code again', ['token.code-single-use']],
  ['no PKCE', ['pkce.verifier-required', 'pkce.verifier-checked', 'pkce.required']],
];

/** The authorization server's own negative tests, which a server that validates nothing fails. */
const AS_VALIDATION_IDS = [...VALIDATIONS.flatMap(([, ids]) => ids), 'pkce.downgrade', 'pkce.plain-refused', 'dcr.rejects-unsafe-redirects', 'refresh.rotation', 'token.type-confusion', 'token.error-format'];

/**
 * One root cause for a server that accepts whatever it is sent (any client_id, any redirect_uri,
 * a used code, no PKCE): a test mock, or validation switched off. The first of those failures in
 * flow order says so and explains the others, so "Fix first" names one thing.
 */
function acceptsWhateverItIsSent(results: CheckResult[]): void {
  const failed = (id: string) => results.some((r) => r.id === id && r.status === 'fail');
  const seen = VALIDATIONS.map(([what, ids]) => ({ what, ids: ids.filter(failed) }));
  if (seen.some((v) => !v.ids.length)) return;
  const explained = AS_VALIDATION_IDS.filter(failed);
  const carrier = results.find((r) => explained.includes(r.id))!;
  carrier.detail = `this authorization server accepts whatever it is sent (${seen.map((v) => `${v.what}: ${v.ids.join(', ')}`).join('; ')}): a test mock, or validation switched off — ${carrier.detail}`;
  carrier.fix = `Use a real authorization server, or switch its validation on (registered clients and redirect URIs, single-use codes, PKCE); the ${explained.length - 1} other failures listed follow from it. ${carrier.fix ?? ''}`.trim();
  carrier.explains = [...new Set([...(carrier.explains ?? []), ...explained.filter((id) => id !== carrier.id)])];
}

/**
 * When several sign-ins end on the same error page, or are redirected back with the same error,
 * the cause is what they share (a client with
 * no login connection, a broken tenant), not what each check varies: ChatGPT's main sign-in
 * (authz.state) keeps the failure, and the others say they failed the same way instead of
 * blaming their own subject (a per-connector callback, an omitted scope).
 */
function sharedSignInFailure(results: CheckResult[]): void {
  const failed = results.filter((r) => r.status === 'fail' && r.signIn);
  const main = failed.find((r) => r.id === 'authz.state') ?? failed[0];
  if (!main) return;
  for (const r of failed) {
    if (r === main || r.signIn !== main.signIn) continue;
    results[results.indexOf(r)] = {
      ...r, status: 'skip', severity: 'info', chatgpt: undefined,
      detail: `its sign-in ended on the same ${r.signIn!.startsWith('the authorization server redirected back') ? 'error' : 'error page'} as ${main.id}'s (${r.signIn}); that shared failure is the cause, not what this check varies — fix ${main.id} first, then run the doctor again`,
      fix: undefined,
    };
    main.explains = [...new Set([...(main.explains ?? []), r.id])];
  }
}
