/**
 * `run()`: what a doctor run starts (the sandbox, the HTTP client with its URL policy, the
 * progress display), the suite of the target, and the report it returns. For GPT Actions, also
 * the inputs: flags, then --openapi, then a legacy plugin manifest at the API origin.
 */
import { UsageError } from '../../errors.js';
import type { IO } from '../../ui/io.js';
// The HTTP client (undici) and the renderer load after the first line is printed (#30: the first
// byte within twice the time --help takes).
import type { HttpClient, TraceEntry } from '../../http/client.js';
import { registerClientCredentials } from '../../http/redact.js';
import { safeText } from '../../text.js';
import { VERSION } from '../../version.js';
import type { LoginMode } from '../../login/driver.js';
import type { Report } from '../../doctor/types.js';
import { list, validateUrlFlag, type DoctorOptions, type DoctorPlan } from './options.js';
import { reportOnInterrupt, startProgress } from './progress.js';
import { saveRefreshToken } from './refresh-token.js';

export interface DoctorResult {
  report: Report;
  trace: TraceEntry[];
  /** TCP connections the run opened (keep-alive reuses them), for --debug. */
  connections?: number;
  /** Ends what the run still holds open (its HTTP client, the sandbox) once the report is out. */
  close?: () => Promise<void>;
}

async function readSecret(io: IO, o: DoctorOptions): Promise<string | undefined> {
  if (o.clientSecretStdin) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const s = Buffer.concat(chunks).toString('utf8').trim();
    if (!s) throw new UsageError('--client-secret-stdin was given but standard input was empty');
    return s;
  }
  const name = o.clientSecretEnv ?? 'GPT_OAUTH_CLIENT_SECRET';
  const v = io.env[name];
  if (o.clientSecretEnv && !v) throw new UsageError(`--client-secret-env ${name}: the variable ${name} is not set`);
  return v || undefined;
}

export async function run(io: IO, plan: DoctorPlan): Promise<DoctorResult> {
  return plan.target === 'actions' ? runActions(io, plan) : runApps(io, plan);
}

export const sayTo = (io: IO) => (line: string) => io.stderr.write(`${line}\n`);

async function runApps(io: IO, plan: Extract<DoctorPlan, { target: 'apps' }>): Promise<DoctorResult> {
  const { o, login } = plan;
  // GPT_OAUTH_CLIENT_SECRET may be exported for a GPT Action in the same shell; for a connector it
  // only means something next to --client-id. A secret asked for explicitly must have one.
  const clientSecret = o.clientId ? await readSecret(io, o) : undefined;
  registerClientCredentials(o.clientId, clientSecret ?? io.env.GPT_OAUTH_CLIENT_SECRET);

  const say = sayTo(io);
  // How the run starts: a sign-in in the login mode, or (no sign-in) the refresh token it was given.
  const checking = (url: string) => `Checking ${url} as ChatGPT would (${plan.refreshToken ? `starting from the refresh token in ${o.refreshTokenEnv}, no sign-in` : `login: ${login}`})…`;
  // The first line before anything heavy loads (oidc-provider, undici, the checks).
  say(plan.sandbox ? 'Starting the sandbox…' : checking(plan.url!));
  const { startSandbox } = plan.sandbox ? await import('../../sandbox/server.js') : { startSandbox: undefined };
  const sandbox = startSandbox ? await startSandbox({ loginPage: login === 'browser' || login === 'command', mixedAuth: !!o.mixedAuth }) : undefined;
  const subject = plan.url ?? sandbox!.mcpUrl;
  const http = await doctorHttp(io, o, subject, plan.timeoutMs, plan.deadlineAt);
  let handedOver = false;
  // Ctrl-C: the temporary clients this run can still delete, and the sandbox, within a second.
  const { onInterrupt } = await import('../../ui/interrupt.js');
  const offInterrupt = onInterrupt(async () => { await http.close(); await sandbox?.close(); });
  try {
    if (sandbox) {
      say(`Started the sandbox at ${sandbox.origin} (issuer ${sandbox.issuer}).`);
      say(checking(subject));
    }
    const { runAppsSuite } = await import('../../doctor/suites/apps.js');
    const { APPS_CHECKS } = await import('../../checks/apps/index.js');
    const progress = await startProgress(io, o, APPS_CHECKS);
    const ranSoFar = await reportOnInterrupt(io);
    const report = await runAppsSuite({
      onStart: progress.start,
      onResult: ranSoFar.add,
      mcpUrl: subject,
      provider: (['auth0', 'clerk', 'stytch', 'supabase'] as const).find((p) => p === o.provider),
      http,
      login,
      loginCommand: o.loginCommand,
      loginTimeoutMs: plan.loginTimeoutMs,
      clientId: o.clientId,
      clientSecret,
      scope: list(o.scope),
      selection: plan.selection,
      say,
      env: io.env,
      refreshToken: plan.refreshToken,
      refreshTokenSource: o.refreshTokenEnv,
      keepGrant: !!o.saveRefreshToken,
      extraSignIns: o.extraSignIns,
      interactive: io.interactive,
      aside: progress.aside,
      onWait: progress.wait,
    }).finally(() => { progress.stop(); ranSoFar.off(); });
    if (o.saveRefreshToken) await saveRefreshToken(subject, report, io.env, say);
    const close = async () => { await http.close(); await sandbox?.close(); };
    handedOver = true;
    return { report, trace: http.trace, connections: http.connections, close };
  } finally {
    offInterrupt();
    if (!handedOver) {
      await http.close();
      await sandbox?.close();
    }
  }
}

async function runActions(io: IO, plan: Extract<DoctorPlan, { target: 'actions' }>): Promise<DoctorResult> {
  const { o, login } = plan;
  const say = sayTo(io);
  const checking = `Checking the GPT Action OAuth set-up as ChatGPT would (login: ${login})…`;
  // The first line before anything heavy loads.
  say(plan.sandbox ? 'Starting the sandbox…' : checking);
  const { startSandbox } = plan.sandbox ? await import('../../sandbox/server.js') : { startSandbox: undefined };
  const sandbox = startSandbox ? await startSandbox({ gptClientSecret: io.env.GPT_OAUTH_CLIENT_SECRET || undefined }) : undefined;
  let http: HttpClient | undefined;
  try {
    let inputs;
    if (sandbox) {
      const g = sandbox.gpt;
      inputs = { authUrl: g.authUrl, tokenUrl: g.tokenUrl, clientId: g.clientId, clientSecret: g.clientSecret, scope: g.scope, gptId: g.gptId, apiUrl: g.apiUrl };
      say(`Started the sandbox at ${sandbox.origin} with the GPT Action client ${g.clientId} (GPT ${g.gptId}).`);
    } else {
      inputs = await resolveActionsInputs(io, plan, (subject) => doctorHttp(io, o, subject, plan.timeoutMs, plan.deadlineAt), say);
    }
    http = await doctorHttp(io, o, inputs.apiUrl ?? inputs.authUrl, plan.timeoutMs, plan.deadlineAt);
    registerClientCredentials(inputs.clientId, inputs.clientSecret);
    // The GPT editor's URLs were given by the user (flags, OpenAPI document, project file).
    for (const u of [inputs.authUrl, inputs.tokenUrl, inputs.apiUrl]) if (u) http.opts.policy?.trust(u);
    if (sandbox) say(checking);
    const { runActionsSuite } = await import('../../doctor/suites/actions.js');
    const { ACTIONS_CHECKS } = await import('../../checks/actions/index.js');
    const progress = await startProgress(io, o, ACTIONS_CHECKS);
    const ranSoFar = await reportOnInterrupt(io);
    const report = await runActionsSuite({
      ...inputs, http, login: login as Exclude<LoginMode, 'browser'>, loginCommand: o.loginCommand, loginTimeoutMs: plan.loginTimeoutMs,
      selection: plan.selection, say, env: io.env, onStart: progress.start, onResult: ranSoFar.add,
    }).finally(() => { progress.stop(); ranSoFar.off(); });
    return { report, trace: http.trace, connections: http.connections };
  } finally {
    await http?.close();
    await sandbox?.close();
  }
}

/**
 * The HTTP client of a doctor run: 1 MiB responses, the per-request timeout, the --debug trace on
 * stderr, and the URL policy anchored on what the user asked to check.
 */
async function doctorHttp(io: IO, o: DoctorOptions, subject: string, timeoutMs: number, deadlineAt?: number): Promise<HttpClient> {
  const { UrlPolicy } = await import('../../http/policy.js');
  const { HttpClient, formatTraceEntry } = await import('../../http/client.js');
  return new HttpClient({
    policy: new UrlPolicy(subject, { allowHosts: list(o.allowHost), allowPrivate: o.allowPrivateNetwork }),
    timeoutMs,
    deadlineAt,
    maxBytes: 1024 * 1024,
    userAgent: `gpt-oauth/${VERSION} (+https://www.npmjs.com/package/gpt-oauth-cli)`,
    onTrace: io.debug ? (e) => io.stderr.write(`${safeText(formatTraceEntry(e), 20000)}\n\n`) : undefined,
  });
}

/** Flags, then --openapi, then a legacy plugin manifest at the API origin. */
async function resolveActionsInputs(io: IO, plan: Extract<DoctorPlan, { target: 'actions' }>, httpFor: (subject: string) => Promise<HttpClient>, say: (l: string) => void) {
  const { o, openapi: spec, apiUrl } = plan;
  let authUrl = o.authUrl ?? spec?.authUrl;
  let tokenUrl = o.tokenUrl ?? spec?.tokenUrl;
  let scope = o.scope ?? spec?.scopes.join(' ');
  // Secrets before any request: a missing one is a usage error, not a half-run.
  let clientSecret = await readSecret(io, o);
  if (!clientSecret && o.provider && o.clientId) {
    const { readSecret: stored, secretAccount } = await import('../../secrets.js');
    clientSecret = await stored(secretAccount(o.provider, o.clientId), io.env);
  }
  if (!clientSecret) throw new UsageError('missing the client secret: set GPT_OAUTH_CLIENT_SECRET (or use --client-secret-env NAME or --client-secret-stdin); it is never accepted as a flag value');
  if ((!authUrl || !tokenUrl) && apiUrl) {
    const http = await httpFor(apiUrl);
    const plugin = await http.send({ url: `${new URL(apiUrl).origin}/.well-known/ai-plugin.json` }).catch(() => undefined);
    await http.close();
    const { readJsonObject } = await import('../../http/json.js');
    const j = plugin?.status === 200 ? readJsonObject(plugin, false) : undefined;
    const auth = j?.ok ? (j.value.auth as Record<string, unknown> | undefined) : undefined;
    if (auth?.type === 'oauth') {
      say('Using the OAuth settings of the retired plugin manifest (/.well-known/ai-plugin.json) at the API origin.');
      authUrl ??= typeof auth.client_url === 'string' ? auth.client_url : undefined;
      tokenUrl ??= typeof auth.authorization_url === 'string' ? auth.authorization_url : undefined;
      scope ??= typeof auth.scope === 'string' ? auth.scope : undefined;
    }
  }
  if (!authUrl) throw new UsageError('missing --auth-url (the GPT editor\'s Authorization URL), or give --openapi FILE with an oauth2 authorizationCode flow');
  if (!tokenUrl) throw new UsageError('missing --token-url (the GPT editor\'s Token URL), or give --openapi FILE');
  if (!apiUrl) say('No --api-url: actions.api-call and actions.same-root-domain will be skipped.');
  return {
    authUrl: validateUrlFlag(authUrl, '--auth-url')!,
    tokenUrl: validateUrlFlag(tokenUrl, '--token-url')!,
    clientId: o.clientId!,
    clientSecret,
    scope: scope ?? '',
    gptId: plan.gptId!,
    apiUrl,
  };
}
