/**
 * `gpt-oauth doctor [URL]`: options → validate → run → render.
 *
 * `validate()` has no side effects beyond reading local files: every flag combination, URL,
 * output path, baseline and check selection is checked there, so a usage error exits 2 before
 * any HTTP request. `run()` starts what the run needs (sandbox, HTTP client), runs the suite and
 * returns the report; `render()` writes stdout, the report files and the baseline, and returns the
 * exit code.
 */
import { invocation } from '../../invocation.js';
import { randomUUID } from 'node:crypto';
import { access, constants, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { IO } from '../../ui/io.js';
// The HTTP client (undici) and the renderer load after the first line is printed (#30: the first
// byte within twice the time --help takes).
import type { HttpClient, TraceEntry } from '../../http/client.js';
import { redactHeaders, registerClientCredentials, registerSecret } from '../../http/redact.js';
import { canAnimate } from '../../ui/spinner.js';
import { escapeJsonUnsafe, safeText, shellQuote } from '../../text.js';
import { VERSION } from '../../version.js';
import type { LoginMode } from '../../login/driver.js';
import type { Report } from '../../doctor/types.js';
import type { Baseline } from '../../doctor/baseline.js';
import type { FailOn } from '../../doctor/verdict.js';
import type { Selection } from '../../checks/types.js';
import { isHttpsOrLoopback, isLoopback } from '../../url.js';

/** The options as commander parses them (strings; validated below). */
export interface DoctorOptions {
  url?: string;
  target?: 'apps' | 'actions';
  sandbox?: boolean;
  login?: LoginMode;
  loginCommand?: string;
  /** --login manual: the sign-ins beyond ChatGPT's path, without asking. */
  extraSignIns?: boolean;
  clientId?: string;
  clientSecretEnv?: string;
  clientSecretStdin?: boolean;
  scope?: string;
  only?: string;
  skip?: string;
  junit?: string;
  timeout?: string;
  loginTimeout?: string;
  authUrl?: string;
  tokenUrl?: string;
  gptId?: string;
  apiUrl?: string;
  openapi?: string;
  config?: string;
  report?: string;
  trace?: string;
  baseline?: string;
  writeBaseline?: string;
  listChecks?: boolean;
  exportRefreshToken?: boolean;
  refreshTokenEnv?: string;
  saveRefreshToken?: boolean;
  allowHost?: string;
  allowPrivateNetwork?: boolean;
  failOn?: string;
  mixedAuth?: boolean;
  deadline?: string;
  verbose?: boolean;
  /** Set from the project file or --provider: the provider that holds the client (for the stored secret, and --fix). */
  provider?: string;
  /** Apply the provider settings behind the failures, then run again (doctor-fix.ts). */
  fix?: boolean;
  /** With --fix: apply the plan without asking. */
  yes?: boolean;
  /** With --fix on Auth0: the login connection to promote to domain level. */
  connection?: string;
  /** With --fix on Supabase or Stytch: the URL of the user's consent page. */
  authorizationUrl?: string;
}

/** Everything `run()` and `render()` need, checked. */
interface Common {
  o: DoctorOptions;
  login: LoginMode;
  timeoutMs: number;
  loginTimeoutMs: number;
  selection: Selection;
  baseline?: { file: string; data: Baseline };
  /** Which failures make exit 1. */
  failOn: FailOn;
  /** When the whole run must end (ms since the epoch). */
  deadlineAt: number;
}
export type DoctorPlan =
  | (Common & { target: 'apps'; url?: string; sandbox: boolean; refreshToken?: string })
  | (Common & { target: 'actions'; sandbox: boolean; gptId?: string; openapi?: import('../../gpt-actions/openapi.js').OpenApiOAuth; apiUrl?: string });

export interface DoctorResult {
  report: Report;
  trace: TraceEntry[];
  /** TCP connections the run opened (keep-alive reuses them), for --debug. */
  connections?: number;
  /** Ends what the run still holds open (its HTTP client, the sandbox) once the report is out. */
  close?: () => Promise<void>;
}

const list = (s?: string) => s?.split(/[\s,]+/).filter(Boolean);

/**
 * `--login-timeout` and `--deadline`: seconds (`300`, `90s`), minutes (`5m`) or both (`1m30s`);
 * a bare number is seconds. The message says the unit and the forms it takes.
 */
export function parseSeconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^\s*(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s?)?\s*$/i.exec(value);
  const seconds = m && (m[1] !== undefined || m[2] !== undefined) ? Math.round(Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${flag} must be a duration in seconds (300, 90s) or minutes (5m, 1m30s) (got "${safeText(value, 40)}")`);
  }
  return seconds;
}

/** The shortest per-request timeout that can succeed against a real server (a TLS handshake alone). */
const MIN_TIMEOUT_MS = 250;

/**
 * `--timeout`: milliseconds (`10000`, `500ms`) or seconds (`3s`). A bare number below the minimum
 * is refused with its unit spelled out: `--timeout 3` meant 3 seconds far more often than 3 ms.
 */
export function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 10_000;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(value);
  const ms = m ? Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 's' ? 1000 : 1)) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`--timeout must be a duration in milliseconds (10000, 500ms) or seconds (10s) (got "${safeText(value, 40)}")`);
  if (ms < MIN_TIMEOUT_MS) throw new UsageError(`--timeout ${safeText(value, 40)} is ${ms} ms, too short for any request (the minimum is ${MIN_TIMEOUT_MS} ms)`, m && !m[2] ? `For ${m[1]} seconds, write --timeout ${m[1]}s.` : undefined);
  return ms;
}

/** The MCP URL as the user would type it into ChatGPT: https, or http on loopback. */
export function validateMcpUrl(raw: string): string {
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch { /* below */ }
  if (!raw.includes('://') && (!u || (u.protocol !== 'https:' && u.protocol !== 'http:'))) {
    // `localhost:8080/mcp` parses as the scheme "localhost:"; `127.0.0.1:8080/mcp` not at all.
    // Suggest the URL with the scheme that host takes: http on this machine, https elsewhere.
    let local: URL | undefined;
    try { local = new URL(`http://${raw}`); } catch { /* not a host either */ }
    if (local?.hostname) {
      const fixed = isLoopback(local) ? `http://${raw}` : `https://${raw}`;
      throw new UsageError(`"${safeText(raw, 200)}" has no scheme: did you mean ${safeText(fixed, 220)}?`,
        isLoopback(local) ? 'A server on this machine takes http:// (or https:// if it serves TLS).' : 'ChatGPT connects to https:// URLs only.');
    }
  }
  if (!u) {
    throw new UsageError(`"${safeText(raw, 200)}" is not a URL; give the MCP server URL as you would type it into ChatGPT, e.g. https://api.example.com/mcp`);
  }
  if (!isHttpsOrLoopback(u)) {
    throw new UsageError(`the MCP URL must use https (http is accepted only on loopback): ${safeText(raw, 200)}`);
  }
  if (u.username || u.password) throw new UsageError('the MCP URL must not contain a user name or password');
  if (u.hash) throw new UsageError('the MCP URL must not contain a #fragment');
  return raw;
}

/** An http(s) URL flag; http only on loopback. */
function validateUrlFlag(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return validateMcpUrl(raw);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message.replace(/^the MCP URL /, 'the URL ')}`);
  }
}

/** An output file must be creatable: its directory exists and is writable. */
async function checkOutputPath(file: string | undefined, flag: string): Promise<void> {
  if (!file) return;
  const dir = dirname(resolve(file));
  const s = await stat(dir).catch(() => undefined);
  if (!s?.isDirectory()) throw new UsageError(`${flag} ${file}: the directory ${dir} does not exist`);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${file}: the directory ${dir} is not writable`);
  }
  const f = await stat(file).catch(() => undefined);
  if (f?.isDirectory()) throw new UsageError(`${flag} ${file}: that is a directory, not a file`);
}

/** The candidate nearest to `typed` (edit distance at most 2, and less than a third of it), if any. */
function closest(typed: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row;
    }
    return prev[b.length]!;
  };
  const t = typed.slice(0, 80);
  let best: { c: string; d: number } | undefined;
  for (const c of new Set(candidates)) {
    const d = distance(t, c);
    if (d <= 2 && d < Math.max(2, t.length / 3) && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

/**
 * `--export-refresh-token`: the refresh token `--save-refresh-token` stored for this URL, on
 * stdout for a pipe into a CI secret store (`| gh secret set GPT_OAUTH_REFRESH_TOKEN`). Never to
 * a terminal: a secret is not shown on screen.
 */
async function exportRefreshToken(io: IO, o: DoctorOptions): Promise<number> {
  if (!o.url) throw new UsageError('--export-refresh-token needs the MCP URL the token was saved for');
  const subject = validateMcpUrl(o.url);
  if ((io.stdout as NodeJS.WriteStream).isTTY) {
    throw new UsageError('--export-refresh-token writes a secret: pipe it into your CI secret store instead of the terminal',
      `For example: ${invocation()} doctor ${shellQuote(subject)} --export-refresh-token | gh secret set GPT_OAUTH_REFRESH_TOKEN`);
  }
  const { readSecret: readStored } = await import('../../secrets.js');
  const token = await readStored(`refresh-token:${subject}`, io.env);
  if (!token) throw new UsageError(`no refresh token is saved for ${safeText(subject, 200)}`, `Save one with ${invocation()} doctor ${shellQuote(subject)} --save-refresh-token`);
  io.stdout.write(token);
  io.stderr.write(`Wrote the refresh token saved for ${safeText(subject, 200)} to standard output.\n`);
  return 0;
}

/** `--list-checks`: the target's catalog (id, impact, severity, title), without a request. */
async function listChecks(io: IO, target: string): Promise<number> {
  const catalog = target === 'actions' ? (await import('../../checks/actions/index.js')).ACTIONS_CHECKS : (await import('../../checks/apps/index.js')).APPS_CHECKS;
  const rows = (catalog as { id: string; impact: string; severity: string; title: string; step: string }[]).map((c) => ({ id: c.id, step: c.step, impact: c.impact, severity: c.severity, title: c.title }));
  if (io.json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else {
    const w = Math.max(...rows.map((r) => r.id.length));
    io.stdout.write(`${rows.map((r) => `${r.id.padEnd(w)}  ${r.impact.padEnd(8)} ${r.severity.padEnd(8)} ${r.title}`).join('\n')}\n`);
  }
  return 0;
}

/** `--only`/`--skip` must name checks of the target's catalog, and leave something to run. */
async function checkSelection(target: 'apps' | 'actions', sel: Selection): Promise<void> {
  // Nothing to check without --only/--skip (and the catalog loads later, after the first line).
  if (!sel.only?.length && !sel.skip?.length) return;
  const catalog = target === 'apps' ? (await import('../../checks/apps/index.js')).APPS_CHECKS : (await import('../../checks/actions/index.js')).ACTIONS_CHECKS;
  const { isSelected, prefixesOf, unknownSelectors } = await import('../../checks/engine.js');
  const defs = catalog as { id: string; step: string }[];
  for (const [flag, patterns] of [['--only', sel.only], ['--skip', sel.skip]] as const) {
    const unknown = unknownSelectors(defs, patterns);
    if (unknown.length) {
      const guesses = unknown.map((u) => closest(u, [...prefixesOf(defs), ...defs.map((d) => d.id)])).filter((g): g is string => !!g);
      throw new UsageError(`${flag}: no ${target} check matches ${unknown.map((u) => `"${safeText(u, 80)}"`).join(', ')}${guesses.length ? ` — did you mean ${guesses.join(', ')}?` : ''}`,
        `Known prefixes: ${prefixesOf(defs).join(' ')} (gpt-oauth doctor --list-checks lists every id).`);
    }
  }
  if (!defs.some((d) => isSelected(d, sel))) throw new UsageError('--only and --skip leave no check to run');
}

/** Without a URL, --sandbox or action inputs, the project file written by `init` says what to check. */
async function withProject(o: DoctorOptions): Promise<DoctorOptions> {
  if (o.url || o.sandbox || o.authUrl || o.openapi) return o;
  const { loadProject, DEFAULT_PROJECT_FILE } = await import('../../project.js');
  const p = await loadProject(o.config ?? DEFAULT_PROJECT_FILE);
  if (!p) return o;
  const target = o.target ?? (p.target === 'both' ? 'apps' : p.target);
  return {
    ...o,
    target,
    sandbox: p.provider === 'sandbox',
    provider: o.provider ?? p.provider,
    url: target === 'apps' ? p.mcpUrl : undefined,
    authUrl: target === 'actions' ? p.authUrl : undefined,
    tokenUrl: o.tokenUrl ?? p.tokenUrl,
    clientId: o.clientId ?? (target === 'actions' ? p.app?.clientId : undefined),
    gptId: o.gptId ?? p.gptId,
    apiUrl: o.apiUrl ?? p.apiUrl,
    scope: o.scope ?? p.scopes?.join(' '),
  };
}

export async function validate(io: IO, opts: DoctorOptions): Promise<DoctorPlan> {
  const o = await withProject(opts);
  const target = o.target ?? 'apps';
  const timeoutMs = parseTimeout(o.timeout);
  const loginTimeoutMs = parseSeconds(o.loginTimeout, '--login-timeout', 300) * 1000;
  const deadlineAt = Date.now() + parseSeconds(o.deadline, '--deadline', 600) * 1000;
  const selection = { only: list(o.only), skip: list(o.skip) };
  const failOn = (o.failOn ?? 'all') as FailOn;
  if (!['chatgpt', 'security', 'all'].includes(failOn)) throw new UsageError(`--fail-on must be chatgpt, security or all (got "${safeText(o.failOn, 40)}")`);
  await checkSelection(target, selection);
  for (const [file, flag] of [[o.junit, '--junit'], [o.report, '--report'], [o.trace, '--trace'], [o.writeBaseline, '--write-baseline']] as const) {
    await checkOutputPath(file, flag);
  }
  let baseline: Common['baseline'];
  if (o.baseline) {
    const { readBaseline } = await import('../../doctor/baseline.js');
    baseline = { file: o.baseline, data: await readBaseline(o.baseline) };
  }
  if (o.login === 'command' && !o.loginCommand) throw new UsageError('--login command needs --login-command "CMD"');
  if (opts.provider && target === 'actions' && !o.fix) throw new UsageError('--provider goes with --target apps, or with --fix (a GPT Action\'s provider comes from its URLs)');

  if (target === 'actions') {
    if (o.login === 'browser') {
      throw new UsageError('--login browser is not available for GPT Actions: their clients accept only ChatGPT\'s callback URLs; use --login manual, auto or command');
    }
    const login: LoginMode = o.login ?? (io.interactive && !o.sandbox ? 'manual' : 'auto');
    if (login === 'manual' && !io.interactive) throw new UsageError('--login manual needs an interactive terminal; use --login auto or --login command in CI');
    if (o.fix) await (await import('../doctor-fix.js')).validateFix(io, { ...o, target });
    if (o.sandbox) return { target, o, login, timeoutMs, loginTimeoutMs, selection, baseline, failOn, deadlineAt, sandbox: true };
    // Every missing input at once (as init does), not one per run.
    const missing = [
      ...(o.gptId ? [] : ['--gpt-id g-… (save the GPT once in the editor, then copy its id from the URL https://chatgpt.com/g/g-…)']),
      ...(o.authUrl || o.openapi || o.apiUrl || o.url ? [] : ['--auth-url (the GPT editor\'s Authorization URL), or --openapi FILE with an oauth2 authorizationCode flow']),
      ...(o.clientId ? [] : ['--client-id (the GPT editor\'s Client ID)']),
      ...(o.clientSecretStdin || io.env[o.clientSecretEnv ?? 'GPT_OAUTH_CLIENT_SECRET'] ? [] : ['the client secret: set GPT_OAUTH_CLIENT_SECRET (or use --client-secret-env NAME or --client-secret-stdin); never a flag value']),
    ];
    if (missing.length > 1) throw new UsageError(`--target actions is missing ${missing.length} inputs:\n  ${missing.join('\n  ')}`);
    const { parseGptId } = await import('../../gpt-actions/gpt.js');
    const gptId = parseGptId(o.gptId);
    const openapi = o.openapi ? await (await import('../../gpt-actions/openapi.js')).readOpenApi(o.openapi) : undefined;
    const apiUrl = validateUrlFlag(o.apiUrl ?? o.url ?? openapi?.apiUrl, '--api-url');
    validateUrlFlag(o.authUrl, '--auth-url');
    validateUrlFlag(o.tokenUrl, '--token-url');
    if (!o.authUrl && !openapi?.authUrl && !apiUrl) throw new UsageError('missing --auth-url (the GPT editor\'s Authorization URL), or give --openapi FILE with an oauth2 authorizationCode flow');
    if (!o.clientId) throw new UsageError('missing --client-id (the GPT editor\'s Client ID)');
    return { target, o, login, timeoutMs, loginTimeoutMs, selection, baseline, failOn, deadlineAt, sandbox: false, gptId, openapi, apiUrl };
  }

  if (o.url && o.sandbox) throw new UsageError('give either a URL or --sandbox, not both');
  if (o.fix) await (await import('../doctor-fix.js')).validateFix(io, { ...o, target });
  else if (o.yes || o.connection || o.authorizationUrl) throw new UsageError(`${o.yes ? '--yes' : o.connection ? '--connection' : '--authorization-url'} goes with --fix`);
  if (o.fix && o.authorizationUrl) validateUrlFlag(o.authorizationUrl, '--authorization-url');
  if (o.mixedAuth && !o.sandbox) throw new UsageError('--mixed-auth is a sandbox mode: use it with --sandbox');
  if (!o.url && !o.sandbox) throw new UsageError('missing the MCP server URL: gpt-oauth doctor https://api.example.com/mcp (or --sandbox to try the embedded server)');
  // The sandbox approves its test user by itself, so it needs no browser unless asked for one.
  let login: LoginMode = o.login ?? (io.interactive && !o.sandbox ? 'browser' : 'auto');
  if (login === 'browser' && io.interactive) {
    // No browser can open here (SSH, a container): say so now and sign in by pasting, instead
    // of waiting --login-timeout for a tab that never opens. Without a terminal the sign-ins
    // end at once as incomplete (the driver).
    const { noBrowserHere } = await import('../../login/opener.js');
    const none = noBrowserHere(io.env);
    if (none) {
      io.stderr.write(`No browser can open here: ${safeText(none, 300)}. Signing in by pasting instead (--login manual): open each URL in a browser on any machine and paste the address it ends on.\n`);
      login = 'manual';
    }
  }
  let refreshToken: string | undefined;
  if (o.refreshTokenEnv) {
    refreshToken = io.env[o.refreshTokenEnv];
    if (!refreshToken) throw new UsageError(`--refresh-token-env ${o.refreshTokenEnv}: the variable ${o.refreshTokenEnv} is not set`);
    registerSecret(refreshToken, 'refresh_token', true);
    if (!o.clientId) throw new UsageError('--refresh-token-env needs --client-id (the client the refresh token was issued to; --save-refresh-token printed it)');
    if (o.saveRefreshToken) throw new UsageError('use either --refresh-token-env or --save-refresh-token');
  }
  if (login === 'manual' && !io.interactive) throw new UsageError('--login manual needs an interactive terminal; use --login auto or --login command in CI');
  if (o.clientSecretEnv && !io.env[o.clientSecretEnv]) throw new UsageError(`--client-secret-env ${o.clientSecretEnv}: the variable ${o.clientSecretEnv} is not set`);
  if ((o.clientSecretStdin || o.clientSecretEnv) && !o.clientId) throw new UsageError('a client secret was given without --client-id');
  const url = o.url ? validateMcpUrl(o.url) : undefined;
  return { target, o, login, timeoutMs, loginTimeoutMs, selection, baseline, failOn, deadlineAt, url, sandbox: !!o.sandbox, refreshToken };
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

/** validate → run → render: what `gpt-oauth doctor` does. Returns the exit code. */
export async function doctor(io: IO, opts: DoctorOptions): Promise<number> {
  if (opts.listChecks) return listChecks(io, opts.target ?? 'apps');
  if (opts.exportRefreshToken) return exportRefreshToken(io, opts);
  const plan = await validate(io, opts);
  let result = await run(io, plan);
  if (plan.o.fix && plan.target === 'apps') result = await fixAndRunAgain(io, plan, result);
  else if (plan.o.fix && plan.target === 'actions') result = await fixActionsAndRunAgain(io, plan, result);
  try {
    return await render(io, plan, result);
  } finally {
    // The verdict is shown first; the run's last clean-up requests finish here.
    await result.close?.();
  }
}

/** --fix: the rounds of doctor-fix.ts, each run again with a fresh deadline; the last run's result. */
async function fixAndRunAgain(io: IO, plan: DoctorPlan, first: DoctorResult): Promise<DoctorResult> {
  const { fixLoop, fixSummaryLines } = await import('../doctor-fix.js');
  const { createPrompter } = await import('../../ui/prompt.js');
  const prompter = createPrompter(io);
  let latest = first;
  const report = await fixLoop(io, plan.o, first.report, async () => {
    await latest.close?.();
    latest = await run(io, { ...plan, deadlineAt: Date.now() + parseSeconds(plan.o.deadline, '--deadline', 600) * 1000 });
    return latest.report;
  }, (question) => (io.interactive ? prompter.confirm(question, '--yes', false) : Promise.resolve(false)));
  for (const line of fixSummaryLines(report.fix!)) io.stderr.write(`${line}\n`);
  return { ...latest, report };
}

/** --target actions --fix: the GPT's callbacks added to its app, then one run again. */
async function fixActionsAndRunAgain(io: IO, plan: Extract<DoctorPlan, { target: 'actions' }>, first: DoctorResult): Promise<DoctorResult> {
  const { actionsFixLoop, fixSummaryLines } = await import('../doctor-fix.js');
  const { createPrompter } = await import('../../ui/prompt.js');
  const prompter = createPrompter(io);
  let latest = first;
  const provider = (first.report as { provider?: string }).provider ?? 'generic';
  const report = await actionsFixLoop(io, { ...plan.o, gptId: plan.gptId!, clientId: first.report.gptEditor?.clientId ?? plan.o.clientId! }, first.report, provider, async () => {
    latest = await run(io, { ...plan, deadlineAt: Date.now() + parseSeconds(plan.o.deadline, '--deadline', 600) * 1000 });
    return latest.report;
  }, (question) => (io.interactive ? prompter.confirm(question, '--yes', false) : Promise.resolve(false)));
  for (const line of fixSummaryLines(report.fix!)) io.stderr.write(`${line}\n`);
  return { ...latest, report };
}

export async function run(io: IO, plan: DoctorPlan): Promise<DoctorResult> {
  return plan.target === 'actions' ? runActions(io, plan) : runApps(io, plan);
}

const sayTo = (io: IO) => (line: string) => io.stderr.write(`${line}\n`);

async function runApps(io: IO, plan: Extract<DoctorPlan, { target: 'apps' }>): Promise<DoctorResult> {
  const { o, login } = plan;
  // GPT_OAUTH_CLIENT_SECRET may be exported for a GPT Action in the same shell; for a connector it
  // only means something next to --client-id. A secret asked for explicitly must have one.
  const clientSecret = o.clientId ? await readSecret(io, o) : undefined;
  registerClientCredentials(o.clientId, clientSecret ?? io.env.GPT_OAUTH_CLIENT_SECRET);

  const say = sayTo(io);
  // The first line before anything heavy loads (oidc-provider, undici, the checks).
  say(plan.sandbox ? 'Starting the sandbox…' : `Checking ${plan.url} as ChatGPT would (login: ${login})…`);
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
      say(`Checking ${subject} as ChatGPT would (login: ${login})…`);
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
 * Ctrl-C during a run: one line with what ran so far (how many checks finished, how they came
 * out, the failures by id), so the time spent is not lost. The run's results are collected as
 * they come (`add`); `off` when the run ends.
 */
async function reportOnInterrupt(io: IO): Promise<{ add: (r: { id: string; status: string }) => void; off: () => void }> {
  const { onInterrupt } = await import('../../ui/interrupt.js');
  const done: { id: string; status: string }[] = [];
  const off = onInterrupt(() => {
    if (!done.length) return void io.stderr.write('Stopped before any check finished.\n');
    const n = (st: string) => done.filter((r) => r.status === st).length;
    const failed = done.filter((r) => r.status === 'fail').map((r) => r.id);
    const parts = [`${n('pass')} passed`, `${n('fail')} failed`, ...(n('warn') ? [`${n('warn')} warnings`] : []), ...(n('skip') ? [`${n('skip')} skipped`] : [])];
    io.stderr.write(`Stopped after ${done.length} check${done.length === 1 ? '' : 's'} finished: ${parts.join(', ')}${failed.length ? ` — failed: ${failed.slice(0, 8).join(', ')}${failed.length > 8 ? ', …' : ''}` : ''}.\n`);
  });
  return { add: (r) => { done.push(r); }, off };
}

/**
 * Progress while the suite runs. At an interactive terminal of a usable width: a spinner on stderr
 * with the current step and check ("Ctrl-C to stop"); prompts and sign-in lines print above it. At
 * a terminal without one (CI, --no-input, a width of 0): each step once, as a line, and each wait
 * for a sign-in once, with its deadline. Without a terminal: nothing, or one line per step with
 * --verbose. Never on stdout, never with --json on a non-terminal.
 */
async function startProgress(io: IO, o: DoctorOptions, catalog: { id: string; step: string }[]): Promise<{ start: (id: string) => void; stop: () => void; aside: <T>(work: () => Promise<T>) => Promise<T>; wait: (label: string | undefined, until?: number) => void }> {
  const stepOf = new Map(catalog.map((c) => [c.id, c.step]));
  const tty = !!(io.stderr as NodeJS.WriteStream).isTTY;
  if (!canAnimate(io)) {
    // Checks of several steps run at once: each step is named once, when its first check starts.
    const named = new Set<string>();
    const lines = tty || o.verbose;
    return {
      start: (id) => { const step = stepOf.get(id) ?? ''; if (lines && !named.has(step)) { named.add(step); io.stderr.write(`${step}…\n`); } },
      stop: () => undefined,
      aside: (work) => work(),
      wait: (label, until) => {
        if (!tty || !label || !until) return;
        const left = Math.max(0, Math.round((until - Date.now()) / 1000));
        io.stderr.write(`${label} — ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left\n`);
      },
    };
  }
  const { default: ora } = await import('ora');
  const { onInterrupt } = await import('../../ui/interrupt.js');
  const spinner = ora({ stream: io.stderr as NodeJS.WritableStream, color: 'cyan', isEnabled: true, discardStdin: false }).start('Starting… (Ctrl-C to stop)');
  const offInterrupt = onInterrupt(() => spinner.stop());
  let current = 'Starting…';
  let waiting: NodeJS.Timeout | undefined;
  const show = () => { spinner.text = `${current}  (Ctrl-C to stop)`; };
  return {
    start: (id) => { current = `${stepOf.get(id) ?? ''}: ${id}`; if (!waiting) show(); },
    stop: () => { offInterrupt(); clearInterval(waiting); spinner.stop(); },
    // A sign-in the person has to do: say so, with the time left, instead of a check's name.
    wait(label, until) {
      clearInterval(waiting);
      waiting = undefined;
      if (!label || !until) return show();
      const tick = () => {
        const left = Math.max(0, Math.round((until - Date.now()) / 1000));
        spinner.text = `${label} — ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left  (Ctrl-C to stop)`;
      };
      tick();
      waiting = setInterval(tick, 1000);
      waiting.unref();
    },
    // A question or a paste: the spinner would draw over it.
    async aside(work) {
      spinner.stop();
      try {
        return await work();
      } finally {
        spinner.start();
      }
    },
  };
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

/** Store the run's newest refresh token (and its client) for unattended CI runs. Never printed. */
async function saveRefreshToken(subject: string, report: Report, env: NodeJS.ProcessEnv, say: (l: string) => void): Promise<void> {
  const kept = (report as { kept?: { refreshToken: string; clientId: string; clientSecret?: string } }).kept;
  if (!kept) {
    say('No refresh token was issued, so none was saved (see refresh.grant).');
    return;
  }
  const { storeSecret } = await import('../../secrets.js');
  const where = await storeSecret(`refresh-token:${subject}`, kept.refreshToken, env);
  // The client id came from the server's registration response: printed through safeText, and
  // quoted in the command line the user copies.
  say(`Saved the refresh token for client ${safeText(kept.clientId, 200)} in ${where.where}.`);
  say(`For CI: store it as a secret (e.g. GPT_OAUTH_REFRESH_TOKEN) and run:\n  ${invocation()} doctor ${shellQuote(subject)} --client-id ${shellQuote(kept.clientId)} --refresh-token-env GPT_OAUTH_REFRESH_TOKEN`);
  say(`To put it into a CI secret without showing it: ${invocation()} doctor ${shellQuote(subject)} --export-refresh-token | gh secret set GPT_OAUTH_REFRESH_TOKEN`);
  say('If the server rotates refresh tokens, each one works once: prefer --login command for repeated runs.');
}

/**
 * GITHUB_OUTPUT lines. The path is the user's own, but a newline in it would inject another
 * output: it is written with the multi-line delimiter form and a random delimiter.
 */
function githubOutputs(report: Report, reportPath: string | undefined): string {
  const lines = [`verdict-chatgpt=${report.verdict.chatgpt}`, `verdict-security=${report.verdict.security}`];
  if (reportPath) {
    const delimiter = `gpt_oauth_${randomUUID().replaceAll('-', '')}`;
    lines.push(`report-path<<${delimiter}`, reportPath, delimiter);
  }
  return `${lines.join('\n')}\n`;
}

/** Everything after a run: stdout, JUnit, Markdown, HAR, GitHub, baseline; returns the exit code. */
export async function render(io: IO, plan: DoctorPlan, result: DoctorResult): Promise<number> {
  const { o } = plan;
  const { report, trace } = result;
  const say = sayTo(io);
  const { renderMarkdown, githubAnnotations, toHar } = await import('../../doctor/report.js');
  const { renderHuman, renderJson, renderJunit } = await import('../../ui/render.js');
  const { PER_ORIGIN_LIMIT } = await import('../../http/client.js');
  if (plan.baseline) {
    const { applyBaseline } = await import('../../doctor/baseline.js');
    applyBaseline(report, plan.baseline.data, plan.baseline.file);
    if (report.baseline!.accepted.length) say(`Baseline ${plan.baseline.file}: ${report.baseline!.accepted.length} accepted failure(s)/warning(s) (${report.baseline!.accepted.join(', ')}).`);
    if (report.baseline!.fixed.length) say(`Baseline entries that now pass and can be removed: ${report.baseline!.fixed.join(', ')}`);
  }
  if (io.debug) {
    report.trace = trace.map(traceForReport);
    say(`${result.connections ?? '?'} connection(s) for ${trace.length} request(s) (keep-alive, one pool per run, at most ${PER_ORIGIN_LIMIT} requests per origin at once).`);
  }
  io.stdout.write(io.json ? renderJson(report) : renderHuman(report, io.colorStdout, !!o.verbose));
  // A server on this machine passes here, but ChatGPT connects from OpenAI's servers.
  if (!plan.sandbox && report.target === 'apps' && report.verdict.chatgpt === 'pass' && isLoopback(report.subject)) {
    say(`Note: ${safeText(new URL(report.subject).host, 100)} is this machine. ChatGPT connects from OpenAI's servers, so it could connect once this server is reachable from the internet over https (a tunnel or a deployment) — run the doctor again on that URL.`);
  }
  if (o.junit) {
    await writeFile(o.junit, renderJunit(report));
    say(`JUnit report written to ${o.junit}`);
  }
  const markdown = o.report || io.env.GITHUB_STEP_SUMMARY ? renderMarkdown(report, trace) : '';
  if (o.report) {
    await writeFile(o.report, markdown);
    say(`Markdown report written to ${o.report}`);
  }
  if (o.trace) {
    await writeFile(o.trace, `${escapeJsonUnsafe(JSON.stringify(toHar(trace), null, 1))}\n`);
    say(`HAR trace written to ${o.trace} (secrets redacted)`);
  }
  if (io.env.GITHUB_ACTIONS === 'true') {
    const notes = githubAnnotations(report);
    if (notes) io.stderr.write(`${notes}\n`);
    const { appendFile } = await import('node:fs/promises');
    if (io.env.GITHUB_STEP_SUMMARY) await appendFile(io.env.GITHUB_STEP_SUMMARY, markdown);
    // Step outputs (the action's verdict-chatgpt, verdict-security, report-path).
    if (io.env.GITHUB_OUTPUT) await appendFile(io.env.GITHUB_OUTPUT, githubOutputs(report, o.report));
  }
  if (o.writeBaseline) {
    const { writeBaseline } = await import('../../doctor/baseline.js');
    const n = await writeBaseline(o.writeBaseline, report);
    say(`Baseline with ${n} accepted failure(s)/warning(s) written to ${o.writeBaseline}; give each entry a reason.`);
    // Writing the baseline is what the run was for: it succeeded.
    return 0;
  }
  const { exitCode } = await import('../../doctor/verdict.js');
  return exitCode(report, plan.failOn);
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

/** A trace entry as it appears in the JSON report (headers redacted here, bodies by renderJson). */
function traceForReport(e: TraceEntry): Record<string, unknown> {
  return {
    seq: e.seq, startedAt: e.startedAt, method: e.method, url: e.url, status: e.status, durationMs: e.durationMs,
    requestHeaders: redactHeaders(e.requestHeaders), requestBody: e.requestBody,
    responseHeaders: e.responseHeaders ? redactHeaders(e.responseHeaders) : undefined, responseBody: e.responseBody,
    error: e.error,
  };
}
