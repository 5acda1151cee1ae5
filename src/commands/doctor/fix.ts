/**
 * `doctor --fix`: apply the provider settings behind the run's failures through the provider
 * adapter `init` uses (credentials from the environment), then run the doctor again — until
 * nothing fixable is left (a tenant with registration off hides every later problem), at most
 * three rounds. Each round: plan (a dry run of the adapter: reads only), show it, ask (or
 * `--yes`), apply, read back (a plan after the write must be empty), run again.
 *
 * Safety: the adapter's issuer must be the issuer the server under test names, so a wrong
 * AUTH0_DOMAIN never changes a tenant the server does not use.
 */
import type { IO } from '../../ui/io.js';
import type { Report, FixChange, FixReport } from '../../doctor/types.js';
import type { ProviderAdapter, ProviderName } from '../../providers/types.js';
import { PROVIDERS } from '../../providers/types.js';
import { CliError, UsageError } from '../../errors.js';
import { safeText } from '../../text.js';
import type { HttpClient } from '../../http/client.js';

const MAX_ROUNDS = 3;
const LABEL: Record<ProviderName, string> = { auth0: 'Auth0', clerk: 'Clerk', stytch: 'Stytch', supabase: 'Supabase' };

export interface FixOptions {
  provider?: string;
  connection?: string;
  /** Supabase, Stytch: the consent page's URL (Supabase: its origin is the Site URL). */
  authorizationUrl?: string;
  yes?: boolean;
}

/** Before any request: --fix needs a provider to change (not the sandbox) and, when it is named, its credentials. */
export async function validateFix(io: IO, o: FixOptions & { target?: string; sandbox?: boolean }): Promise<void> {
  if (o.sandbox) throw new UsageError('--fix changes a provider\'s settings; the sandbox has none to change');
  const named = o.provider && PROVIDERS.includes(o.provider as ProviderName) ? o.provider as ProviderName : undefined;
  if (!named) return;
  // At a terminal the missing credentials are asked for now, as init does (before any request).
  if (io.interactive) await credentials(io, named);
  await adapterFor(io, named, undefined);
}

/** init's questions for the provider's credentials (a no-op when the environment has them). */
async function credentials(io: IO, name: ProviderName): Promise<void> {
  const [{ askCredentials }, { createPrompter }] = await Promise.all([import('../provider-credentials.js'), import('../../ui/prompt.js')]);
  await askCredentials(name, io.env, createPrompter(io), io, (l = '') => io.stderr.write(`${l}\n`));
}

async function adapterFor(io: IO, name: string, http: HttpClient | undefined): Promise<ProviderAdapter> {
  const { loadProvider } = await import('../../providers/index.js');
  const { HttpClient } = await import('../../http/client.js');
  const { VERSION } = await import('../../version.js');
  return loadProvider(name, io.env, http ?? new HttpClient({ timeoutMs: 20_000, maxBytes: 4 * 1024 * 1024, userAgent: `gpt-oauth/${VERSION}` }));
}

type Discovered = { provider?: string; issuer?: string; resource?: string };
const discoveredOf = (r: Report): Discovered => (r as { discovered?: Discovered }).discovered ?? {};
const findings = (r: Report) => r.checks.filter((c) => c.status === 'fail' || c.status === 'warn');

/**
 * Runs the rounds. `again` runs the doctor once more and returns its report; the last report is
 * returned with `fix` set.
 */
export async function fixLoop(io: IO, o: FixOptions, first: Report, again: () => Promise<Report>, confirm: (question: string) => Promise<boolean>): Promise<Report> {
  const say = (l: string) => io.stderr.write(`${l}\n`);
  const d = discoveredOf(first);
  const fix: FixReport = { rounds: [], before: first.verdict, after: first.verdict, changed: [], notFixable: [] };
  const done = (report: Report, stopped?: string): Report => {
    if (stopped) { fix.stopped = stopped; say(`--fix: ${stopped}`); }
    fix.after = report.verdict;
    const before = new Map(first.checks.map((c) => [c.id, c.status]));
    fix.changed = report.checks.filter((c) => before.get(c.id) !== undefined && before.get(c.id) !== c.status).map((c) => ({ id: c.id, from: before.get(c.id)!, to: c.status }));
    const covered = new Set(fix.rounds.flatMap((r) => r.plan.flatMap((c) => c.fixes ?? [])));
    // Only a provider whose settings were read can say what they do not change.
    fix.notFixable = fix.rounds.length ? findings(report).filter((c) => !covered.has(c.id)).map((c) => ({ id: c.id, status: c.status, detail: c.detail })) : [];
    report.fix = fix;
    return report;
  };

  const named = o.provider && PROVIDERS.includes(o.provider as ProviderName) ? o.provider as ProviderName : undefined;
  const name = named ?? (PROVIDERS.includes(d.provider as ProviderName) ? d.provider as ProviderName : undefined);
  if (!name) return done(first, `no provider whose settings gpt-oauth can change was recognised behind ${safeText(d.issuer ?? 'the issuer', 200)}; if it is one (a custom domain), name it with --provider auth0|clerk|stytch|supabase`);
  fix.provider = name;
  let adapter: ProviderAdapter;
  try {
    if (io.interactive) await credentials(io, name);
    adapter = await adapterFor(io, name, undefined);
  } catch (err) {
    if (err instanceof CliError) return done(first, `cannot use the ${LABEL[name]} Management API: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
    throw err;
  }
  if (!adapter.canPlan) return done(first, `--fix cannot plan changes on ${LABEL[name]} yet; run gpt-oauth init --provider ${name} --target apps --mcp-url ${first.subject}`);
  let issuer: string;
  try {
    ({ issuer } = await adapter.issuer());
  } catch (err) {
    if (err instanceof CliError) return done(first, `${err.message}${err.hint ? ` (${err.hint})` : ''}`);
    throw err;
  }
  if (!d.issuer || issuer !== d.issuer) {
    return done(first, `the ${LABEL[name]} credentials are for the issuer ${safeText(issuer, 200)}, but the server names ${safeText(d.issuer ?? '(none)', 200)}: not changing a tenant this server does not use`);
  }
  fix.account = (await adapter.checkCredentials()).account;
  const spec = { name: 'ChatGPT', target: 'apps' as const, redirectUris: [], resource: d.resource ?? first.subject, connection: o.connection, authorizationUrl: o.authorizationUrl };

  let report = first;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const plan = (await adapter.enableChatGpt(spec, undefined, { dryRun: true })) as FixChange[];
    const changes = plan.filter((c) => c.status === 'changed');
    // What the run found wrong, and what it could not reach (hidden behind an earlier failure).
    const open = new Set(report.checks.filter((c) => c.status === 'fail' || c.status === 'warn' || (c.status === 'skip' && !c.incomplete)).map((c) => c.id));
    const relevant = changes.filter((c) => !c.fixes || c.fixes.some((id) => open.has(id)));
    if (!relevant.length) {
      if (round === 1) fix.rounds.push({ plan, applied: false });
      say(`--fix: nothing left that the ${LABEL[name]} settings change.`);
      return done(report);
    }
    say(`--fix: ${fix.account} — ${changes.length} change${changes.length === 1 ? '' : 's'} planned${round > 1 ? ` (round ${round}: the first changes uncovered more)` : ''}:`);
    for (const c of plan) say(`  ${planLine(c)}`);
    const notHere = findings(report).filter((c) => !plan.some((p) => p.fixes?.includes(c.id)));
    if (notHere.length) {
      say(`  Not fixable on ${LABEL[name]} (the provider's own behaviour, or the MCP server's):`);
      for (const c of notHere) say(`    ${c.status === 'fail' ? '✗' : '!'} ${c.id} — ${safeText(c.detail, 160)}`);
    }
    const yes = o.yes || (await confirm(`Apply ${changes.length === 1 ? 'this change' : `these ${changes.length} changes`} to ${fix.account}?`));
    fix.rounds.push({ plan, applied: yes });
    if (!yes) return done(report, io.interactive ? 'not applied (declined)' : 'not applied: without a terminal, pass --yes to apply the plan');
    try {
      await adapter.enableChatGpt(spec);
    } catch (err) {
      // Each write is idempotent and read-merge-write: what landed stays, and the next run's plan
      // starts from it. The report of the run before is still worth having.
      if (err instanceof CliError) {
        fix.rounds.at(-1)!.applied = false;
        return done(report, `applying the plan failed (${err.display}); what landed before stays — run the same command again to converge`);
      }
      throw err;
    }
    // Read back: a plan after the write must find nothing left to change.
    const left = (await adapter.enableChatGpt(spec, undefined, { dryRun: true })).filter((c) => c.status === 'changed');
    if (left.length) return done(report, `${LABEL[name]} did not keep ${left.map((c) => c.setting).join(', ')} after the write`);
    say(`--fix: applied; running the doctor again…`);
    report = await again();
  }
  return done(report);
}

function planLine(c: FixChange): string {
  const value = (v: unknown) => safeText(typeof v === 'string' ? v : JSON.stringify(v), 200);
  const checks = c.fixes?.length ? ` (${c.fixes.join(', ')})` : '';
  if (c.status === 'changed') return `+ ${c.setting}: ${c.from === undefined ? '' : `${value(c.from)} → `}${value(c.to)}${checks}`;
  if (c.status === 'already') return `= ${c.setting}: already ${value(c.to)}`;
  return `! ${c.setting}: by hand${c.note ? ` — ${safeText(c.note, 300)}` : ''}${c.dashboardUrl ? ` (${c.dashboardUrl})` : ''}`;
}

/** The before/after lines for the terminal. */
export function fixSummaryLines(fix: FixReport): string[] {
  if (!fix.rounds.some((r) => r.applied)) return [];
  const out = [`--fix: before ChatGPT ${fix.before.chatgpt}, security ${fix.before.security} → after ChatGPT ${fix.after.chatgpt}, security ${fix.after.security}`];
  // Checks that were hidden behind an earlier failure and now pass are counted, not listed.
  const uncovered = fix.changed.filter((c) => c.from === 'skip' && c.to === 'pass');
  for (const c of fix.changed) if (!uncovered.includes(c)) out.push(`  ${c.id}: ${c.from} → ${c.to}`);
  if (uncovered.length) out.push(`  ${uncovered.length} check${uncovered.length === 1 ? '' : 's'} that could not run before now pass`);
  if (fix.notFixable.length) out.push(`  not fixable on ${fix.provider ? LABEL[fix.provider as ProviderName] : 'the provider'}: ${fix.notFixable.map((c) => c.id).join(', ')}`);
  return out;
}

/**
 * `doctor --target actions --fix`, in rounds (at most two: the exchange is tried only once the
 * callbacks work):
 *  - the GPT's two callback URLs added to the app whose client id the GPT editor holds, when
 *    actions.callback-urls failed (read-merge-write with read-back, as `callbacks add`);
 *  - the app's token endpoint authentication method aligned with the Token Exchange Method the
 *    run tells the user to select in the GPT editor (the method it saw working, "Default (POST
 *    request)" first), where the provider stores one per app (Auth0, Supabase); Clerk accepts both
 *    methods alike and Stytch has no such setting. Never changed when the exchange did not work:
 *    the run saw no method working, so no setting is known to fix it.
 * Then the doctor runs again. The provider is the one named or recognised from the
 * authorization URL, and its credentials must reach that app.
 */
export async function actionsFixLoop(io: IO, o: FixOptions & { gptId: string; clientId: string }, first: Report, provider: string, again: () => Promise<Report>, confirm: (question: string) => Promise<boolean>): Promise<Report> {
  const say = (l: string) => io.stderr.write(`${l}\n`);
  const fix: FixReport = { rounds: [], before: first.verdict, after: first.verdict, changed: [], notFixable: [] };
  const handled = new Set([CALLBACK_CHECK]);
  const done = (report: Report, stopped?: string): Report => {
    if (stopped) { fix.stopped = stopped; say(`--fix: ${stopped}`); }
    fix.after = report.verdict;
    const before = new Map(first.checks.map((c) => [c.id, c.status]));
    fix.changed = report.checks.filter((c) => before.get(c.id) !== undefined && before.get(c.id) !== c.status).map((c) => ({ id: c.id, from: before.get(c.id)!, to: c.status }));
    fix.notFixable = fix.rounds.length ? findings(report).filter((c) => !handled.has(c.id)).map((c) => ({ id: c.id, status: c.status, detail: c.detail })) : [];
    report.fix = fix;
    return report;
  };
  const named = o.provider && PROVIDERS.includes(o.provider as ProviderName) ? o.provider as ProviderName : undefined;
  const name = named ?? (PROVIDERS.includes(provider as ProviderName) ? provider as ProviderName : undefined);
  if (!name) return done(first, 'no provider whose apps gpt-oauth can change was recognised from the authorization URL; if it is one (a custom domain), name it with --provider auth0|clerk|stytch|supabase');
  fix.provider = name;
  const callbackFailed = (r: Report) => r.checks.find((c) => c.id === CALLBACK_CHECK)?.status === 'fail';
  /** The method the run tells the user to select in the GPT editor: only one it saw working. */
  const chosenMethod = (r: Report): SecretAuthMethodName | undefined => {
    if (r.checks.find((c) => c.id === EXCHANGE_CHECK)?.status !== 'pass') return undefined;
    const label = r.gptEditor?.tokenExchangeMethod;
    return label === 'Default (POST request)' ? 'client_secret_post' : label === 'Basic authorization header' ? 'client_secret_basic' : undefined;
  };
  if (!callbackFailed(first) && !(chosenMethod(first) && METHOD_SETTING.has(name))) {
    const callback = first.checks.find((c) => c.id === CALLBACK_CHECK);
    const exchange = first.checks.find((c) => c.id === EXCHANGE_CHECK);
    // Neither method worked: no method setting is known to fix that (the check's fix says what to check).
    const noMethod = exchange && exchange.status !== 'pass' && exchange.status !== 'skip' && METHOD_SETTING.has(name) ? `; ${EXCHANGE_CHECK} saw no method work, so the app's method is left as it is` : '';
    say(`--fix: ${CALLBACK_CHECK} ${callback ? callback.status === 'pass' ? 'passed' : `is ${callback.status}` : 'did not run'}; nothing to change on ${LABEL[name]}${noMethodSetting(name, chosenMethod(first))}${noMethod}.`);
    return done(first);
  }
  let adapter: ProviderAdapter;
  try {
    if (io.interactive) await credentials(io, name);
    adapter = await adapterFor(io, name, undefined);
    fix.account = (await adapter.checkCredentials()).account;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    const why = `${err.message}${err.hint ? ` (${err.hint})` : ''}`;
    // Nothing failed: only the method's alignment needed the provider, which the run can do without.
    if (!callbackFailed(first)) { say(`--fix: ${CALLBACK_CHECK} passed; the app's token endpoint authentication method was not compared (cannot use the ${LABEL[name]} Management API: ${why}).`); return done(first); }
    return done(first, `cannot use the ${LABEL[name]} Management API: ${why}`);
  }
  const [{ parseGptId, gptCallbackUrls }, { updateRedirects, alignTokenAuthMethod }, { configDir }] = await Promise.all([import('../../gpt-actions/gpt.js'), import('../../providers/ops.js'), import('../../secrets.js')]);
  const cb = gptCallbackUrls(parseGptId(o.gptId));
  const urls = [cb.chatgpt, cb.openai];
  const lockDir = await configDir(io.env);
  const appRef = safeText(o.clientId, 120);
  let latest = first;
  for (let round = 1; round <= 2; round++) {
    const method = chosenMethod(latest);
    const wantCallbacks = callbackFailed(latest);
    if (!wantCallbacks && !method) break;
    const plan: FixChange[] = [];
    const lines: string[] = [];
    let redirects: Awaited<ReturnType<typeof updateRedirects>> | undefined;
    let methodPlan: Awaited<ReturnType<typeof alignTokenAuthMethod>> | undefined;
    try {
      if (wantCallbacks) redirects = await updateRedirects(adapter, o.clientId, urls, [], true, lockDir);
      if (method && adapter.setTokenAuthMethod) methodPlan = await alignTokenAuthMethod(adapter, o.clientId, method, true, lockDir);
    } catch (err) {
      if (err instanceof CliError) return done(latest, `the app with client id ${appRef} could not be read on ${LABEL[name]}: ${err.message}`);
      throw err;
    }
    if (redirects) {
      plan.push({ setting: `redirect URIs of ${safeText(redirects.app.name, 120)} (${safeText(redirects.app.clientId, 120)})`, from: redirects.before, to: redirects.after, status: redirects.changed ? 'changed' : 'already', fixes: [CALLBACK_CHECK] });
      if (redirects.changed) {
        lines.push(`--fix: ${fix.account} — add ${redirects.added.join(' and ')} to the redirect URIs of ${safeText(redirects.app.name, 120)} (${CALLBACK_CHECK}):`);
        for (const u of redirects.after) lines.push(`  ${redirects.added.includes(u) ? '+' : ' '} ${safeText(u, 300)}`);
      }
    }
    if (method) {
      const label = method === 'client_secret_post' ? 'Default (POST request)' : 'Basic authorization header';
      if (!adapter.setTokenAuthMethod) {
        say(`--fix: nothing to set on ${LABEL[name]}${noMethodSetting(name, method)}.`);
      } else if (methodPlan) {
        handled.add(EXCHANGE_CHECK);
        const setting = `token endpoint authentication method of ${safeText(methodPlan.app.name, 120)}`;
        if (methodPlan.blocked) plan.push({ setting, from: methodPlan.before, to: method, status: 'manual', note: methodPlan.blocked, fixes: [EXCHANGE_CHECK] });
        else plan.push({ setting, from: methodPlan.before, to: method, status: methodPlan.changed ? 'changed' : 'already', fixes: [EXCHANGE_CHECK] });
        if (methodPlan.changed) lines.push(`--fix: ${fix.account} — set the token endpoint authentication method of ${safeText(methodPlan.app.name, 120)} from ${safeText(String(methodPlan.before), 40)} to ${method}, what the GPT editor's Token Exchange Method "${label}" sends (the run saw it working) (${EXCHANGE_CHECK})`);
        else if (methodPlan.blocked) say(`--fix: the token endpoint authentication method of ${safeText(methodPlan.app.name, 120)} stays ${safeText(String(methodPlan.before), 40)}: ${methodPlan.blocked}`);
      }
    }
    const changes = plan.filter((c) => c.status === 'changed');
    if (!changes.length) {
      if (redirects && !redirects.changed) {
        fix.rounds.push({ plan, applied: false });
        return done(latest, `the app already lists ${urls.join(' and ')}, yet ${CALLBACK_CHECK} failed: the authorization URL may belong to another app or tenant than ${appRef}`);
      }
      if (plan.length) fix.rounds.push({ plan, applied: false });
      if (round === 1) say(`--fix: nothing to change on ${LABEL[name]}${method ? `: the app's method already matches "${method === 'client_secret_post' ? 'Default (POST request)' : 'Basic authorization header'}"` : ''}.`);
      break;
    }
    for (const l of lines) say(l);
    const yes = o.yes || (await confirm(`Apply ${changes.length === 1 ? 'this change' : 'these changes'} to ${safeText((redirects ?? methodPlan)!.app.name, 120)}?`));
    fix.rounds.push({ plan, applied: yes });
    if (!yes) return done(latest, io.interactive ? 'not applied (declined)' : 'not applied: without a terminal, pass --yes to apply the plan');
    try {
      if (redirects?.changed) await updateRedirects(adapter, o.clientId, urls, [], false, lockDir);
      if (methodPlan?.changed) await alignTokenAuthMethod(adapter, o.clientId, method!, false, lockDir);
    } catch (err) {
      if (err instanceof CliError) {
        fix.rounds.at(-1)!.applied = false;
        return done(latest, `applying the plan failed (${err.display}); run the same command again to converge`);
      }
      throw err;
    }
    say('--fix: applied; running the doctor again…');
    latest = await again();
  }
  return done(latest);
}

type SecretAuthMethodName = 'client_secret_post' | 'client_secret_basic';

/** Providers that store a token endpoint authentication method per app (Auth0, Supabase). */
const METHOD_SETTING = new Set<ProviderName>(['auth0', 'supabase']);

/** Where the provider has no per-app method to align with the GPT editor, say why (and what to select). */
function noMethodSetting(name: ProviderName, method: SecretAuthMethodName | undefined): string {
  if (!method || METHOD_SETTING.has(name)) return '';
  const why = name === 'clerk' ? 'Clerk accepts client_secret_basic and client_secret_post alike' : 'Stytch\'s connected apps have no token endpoint authentication method setting';
  return ` for the token exchange: ${why}; select "${method === 'client_secret_post' ? 'Default (POST request)' : 'Basic authorization header'}" in the GPT editor`;
}

const CALLBACK_CHECK = 'actions.callback-urls';
const EXCHANGE_CHECK = 'actions.token-exchange-method';
