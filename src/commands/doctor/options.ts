/**
 * The options of `gpt-oauth doctor` as commander parses them, and `validate()`, which turns them
 * into a plan. It has no side effects beyond reading local files: every flag combination, URL,
 * output path, baseline and check selection is checked here, so a usage error exits 2 before
 * any HTTP request.
 */
import { UsageError } from '../../errors.js';
import { checkOutputPath } from '../../output-file.js';
import type { IO } from '../../ui/io.js';
import { registerSecret } from '../../http/redact.js';
import { safeText } from '../../text.js';
import type { LoginMode } from '../../login/driver.js';
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
  /** Apply the provider settings behind the failures, then run again (fix.ts). */
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

export const list = (s?: string) => s?.split(/[\s,]+/).filter(Boolean);

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
export function validateUrlFlag(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return validateMcpUrl(raw);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message.replace(/^the MCP URL /, 'the URL ')}`);
  }
}

/** `--only`/`--skip` must name checks of the target's catalog, and leave something to run. */
async function checkSelection(target: 'apps' | 'actions', sel: Selection): Promise<void> {
  // Nothing to check without --only/--skip (and the catalog loads later, after the first line).
  if (!sel.only?.length && !sel.skip?.length) return;
  const catalog = target === 'apps' ? (await import('../../checks/apps/index.js')).APPS_CHECKS : (await import('../../checks/actions/index.js')).ACTIONS_CHECKS;
  const { selectionProblem } = await import('../../checks/engine.js');
  const problem = selectionProblem(target, catalog, sel);
  if (problem) throw new UsageError(problem.message, problem.hint);
}

/** Without a URL, --sandbox or action inputs, the project file written by `init` says what to check. */
async function withProject(o: DoctorOptions): Promise<DoctorOptions> {
  const { loadProject, DEFAULT_PROJECT_FILE } = await import('../../project.js');
  // A file named with --config must exist (and be valid) even when the flags say what to check.
  if (o.url || o.sandbox || o.authUrl || o.openapi) {
    if (o.config !== undefined) await loadProject(o.config, true);
    return o;
  }
  const p = await loadProject(o.config ?? `./${DEFAULT_PROJECT_FILE}`, o.config !== undefined);
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
    if (o.fix) await (await import('./fix.js')).validateFix(io, { ...o, target });
    if (o.sandbox) return { target, o, login, timeoutMs, loginTimeoutMs, selection, baseline, failOn, deadlineAt, sandbox: true };
    // The OpenAPI document first: a file that cannot be read is said before what else is missing.
    const openapi = o.openapi ? await (await import('../../gpt-actions/openapi.js')).readOpenApi(o.openapi) : undefined;
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
    const apiUrl = validateUrlFlag(o.apiUrl ?? o.url ?? openapi?.apiUrl, '--api-url');
    validateUrlFlag(o.authUrl, '--auth-url');
    validateUrlFlag(o.tokenUrl, '--token-url');
    if (!o.authUrl && !openapi?.authUrl && !apiUrl) throw new UsageError('missing --auth-url (the GPT editor\'s Authorization URL), or give --openapi FILE with an oauth2 authorizationCode flow');
    if (!o.clientId) throw new UsageError('missing --client-id (the GPT editor\'s Client ID)');
    return { target, o, login, timeoutMs, loginTimeoutMs, selection, baseline, failOn, deadlineAt, sandbox: false, gptId, openapi, apiUrl };
  }

  if (o.url && o.sandbox) throw new UsageError('give either a URL or --sandbox, not both');
  if (o.fix) await (await import('./fix.js')).validateFix(io, { ...o, target });
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
  if (login === 'browser' && !io.interactive) {
    // --login browser without a terminal where no browser can open: said now, and every sign-in
    // ends at once as incomplete (the driver) — no "Opening your browser", no wait.
    const { noBrowserHere } = await import('../../login/opener.js');
    const none = noBrowserHere(io.env);
    if (none) io.stderr.write(`No browser can open here: ${safeText(none, 300)}. Without a terminal to paste at, the sign-ins end at once as incomplete: run it at a terminal with --login manual (open each URL in a browser on any machine and paste the address it ends on), or set GPT_OAUTH_BROWSER to a browser program.\n`);
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
