/**
 * `gpt-oauth init`: target → provider → credentials → URLs → GPT id → summary → confirm →
 * provision → project file → templates → what to paste into ChatGPT → offer doctor and browser.
 * Every answer has a flag; without a terminal (or with --no-input / CI) a missing one is an
 * exit-2 error naming it. Nothing is written locally before the provider work succeeded.
 */
import { invocation } from '../../invocation.js';
import { CancelledError, CliError, EXIT, UsageError } from '../../errors.js';
import type { IO } from '../../ui/io.js';
import { createPrompter, type Prompter } from '../../ui/prompt.js';
import { withSpinner } from '../../ui/spinner.js';
import { safeText } from '../../text.js';
import { style } from '../../ui/style.js';
import { HttpClient } from '../../http/client.js';
import { mask, redactDeep, registerClientCredentials } from '../../http/redact.js';
import { GITHUB_ACTION, VERSION } from '../../version.js';
import { askCredentials, CREDENTIALS } from '../provider-credentials.js';
import { DEFAULT_PROJECT_FILE, loadProject, saveProject, type ProjectFile } from '../../project.js';
import type { AppSpec, ProviderName, SettingChange } from '../../providers/types.js';
import { isHttpsOrLoopback, isLoopback } from '../../url.js';
import { GPT_EDITOR_URL, gptCallbackUrls } from '../../chatgpt/redirects.js';

export interface InitOptions {
  config?: string;
  target?: string;
  provider?: string;
  mcpUrl?: string;
  apiUrl?: string;
  gptId?: string;
  app?: string;
  name?: string;
  scopes?: string;
  connection?: string;
  authorizationUrl?: string;
  templates?: string;
  force?: boolean;
  yes?: boolean;
  /** Issue a new client secret when a reused app has none stored. */
  rotateSecret?: boolean;
  doctor?: boolean;
  open?: boolean;
  dir?: string;
}

type Target = ProjectFile['target'];
type Provider = ProjectFile['provider'];

const isProvider = (p: string): p is ProviderName => p in CREDENTIALS;

/** Providers in their own spelling. */
const LABEL: Record<string, string> = { clerk: 'Clerk', auth0: 'Auth0', stytch: 'Stytch', supabase: 'Supabase', custom: 'your authorization server', sandbox: 'the sandbox' };

/** What the GPT editor's Scope field should say when --scopes is not given. */
const DEFAULT_SCOPES: Record<string, string[]> = {
  clerk: ['profile', 'email'],
  auth0: ['openid', 'profile', 'email', 'offline_access'],
  stytch: ['openid', 'email', 'profile', 'offline_access'],
  supabase: ['openid', 'email', 'profile'],
};

function validUrl(v: string): string | true {
  try {
    const u = new URL(v);
    return isHttpsOrLoopback(u) ? true : 'use https (http only on loopback)';
  } catch {
    return 'enter an absolute URL, e.g. https://api.example.com/mcp';
  }
}

function checkUrl(v: string | undefined, flag: string): string | undefined {
  if (v === undefined) return undefined;
  const r = validUrl(v);
  if (r !== true) throw new UsageError(`${flag}: ${r} (got "${safeText(v, 200)}")`);
  return v;
}

export async function run(io: IO, o: InitOptions): Promise<number> {
  const prompt = createPrompter(io);
  const say = (line = '') => io.stderr.write(`${line}\n`);
  const st = style(io.color);
  const configFile = o.config ?? DEFAULT_PROJECT_FILE;
  const dir = o.dir ?? process.cwd();

  // Re-running in a configured folder offers to update rather than start over.
  let defaults: Partial<ProjectFile> = {};
  const existing = await loadProject(configFile);
  if (existing) {
    const choice = io.interactive && !o.yes
      ? await prompt.select(`${configFile} already describes a set-up (${existing.target} on ${existing.provider}). What now?`, [
        { value: 'update', name: 'Update it (keep its answers as defaults)' },
        { value: 'fresh', name: 'Start over' },
        { value: 'cancel', name: 'Cancel' },
      ], '--yes', 'update')
      : 'update';
    if (choice === 'cancel') throw new CancelledError('Nothing changed.');
    if (choice === 'update') defaults = existing;
  }

  if (!io.interactive) requireAllFlags(o, defaults, io.env);
  if (!o.target && !defaults.target && io.interactive) {
    say('A GPT Action: a custom GPT you build in ChatGPT calls your REST API (described by OpenAPI) as the signed-in user.');
    say('A ChatGPT App (MCP connector): ChatGPT calls the tools of your MCP server as the signed-in user.');
  }
  const target = (o.target ?? defaults.target ?? await prompt.select<Target>('What are you connecting to ChatGPT?', [
    { value: 'actions', name: 'A custom GPT with an OAuth Action' },
    { value: 'apps', name: 'A ChatGPT App / MCP connector' },
    { value: 'both', name: 'Both' },
  ], '--target')) as Target;
  if (!['actions', 'apps', 'both'].includes(target)) throw new UsageError(`--target must be actions, apps or both (got "${target}")`);

  let provider = (o.provider ?? defaults.provider ?? await prompt.select<string>('Which OAuth provider?', [
    { value: 'clerk', name: 'Clerk' }, { value: 'auth0', name: 'Auth0' }, { value: 'stytch', name: 'Stytch' }, { value: 'supabase', name: 'Supabase' },
    { value: 'custom', name: 'My own authorization server (custom)' },
    { value: 'sandbox', name: 'The offline sandbox (try everything, no account)' },
    { value: 'firebase', name: 'Firebase Auth' }, { value: 'privy', name: 'Privy' },
  ], '--provider')) as string;
  if (provider === 'firebase' || provider === 'privy') {
    const label = provider === 'firebase' ? 'Firebase Auth' : 'Privy';
    say(`${label} signs users in, but it cannot act as the OAuth authorization server ChatGPT needs (no authorization endpoint for third-party clients, no dynamic registration). Put your own authorization server in front of it (for example one that delegates the login to ${label}) and choose "custom".`);
    if (!io.interactive || !(await prompt.confirm('Continue with a custom authorization server?', '--provider custom'))) {
      throw new UsageError(`${label} cannot be the OAuth server for ChatGPT; use --provider custom with your own authorization server`);
    }
    provider = 'custom';
  }
  if (!['clerk', 'auth0', 'stytch', 'supabase', 'custom', 'sandbox'].includes(provider)) throw new UsageError(`unknown --provider "${provider}"`);
  const wantsApps = target !== 'actions';
  const wantsActions = target !== 'apps';
  const sandbox = provider === 'sandbox';

  // Credentials first (read from the environment when present), so a wrong key fails early.
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (isProvider(provider)) {
    await askCredentials(provider, env, prompt, io, say);
    // Checked now, as wrangler and auth0-cli do: a wrong key fails before the other questions.
    const probe = new HttpClient({ timeoutMs: 20_000, maxBytes: 4 * 1024 * 1024, userAgent: `gpt-oauth/${VERSION}` });
    try {
      const { loadProvider } = await import('../../providers/index.js');
      const adapter = await loadProvider(provider, env, probe);
      await withSpinner(io, `Checking the ${LABEL[provider]} credentials`, () => adapter.checkCredentials(), (r) => `${r.account}: ${r.allows.join(', ')}`);
    } finally {
      await probe.close();
    }
  }

  const mcpUrl = wantsApps && !sandbox
    ? checkUrl(o.mcpUrl ?? defaults.mcpUrl ?? await prompt.input('MCP server URL (exactly as you will type it into ChatGPT)', '--mcp-url', { validate: validUrl }), '--mcp-url')
    : undefined;
  const apiUrl = wantsActions && !sandbox
    ? checkUrl(o.apiUrl ?? defaults.apiUrl ?? await prompt.input('API URL of the action (a protected GET endpoint)', '--api-url', { validate: validUrl }), '--api-url')
    : undefined;
  for (const [u, flag] of [[mcpUrl, '--mcp-url'], [apiUrl, '--api-url']] as const) {
    if (u && isLocal(u)) say(`${st.yellow('!')} ${flag} ${safeText(u, 200)}: ChatGPT connects from OpenAI's servers and cannot reach ${new URL(u).hostname} — use a tunnel or a deployed URL (fine for trying the doctor locally).`);
  }
  let gptId = o.gptId ?? defaults.gptId;
  if (wantsActions && !sandbox && gptId === undefined && io.interactive) {
    gptId = (await prompt.input('GPT id (g-…, shown once the GPT is saved), or leave empty to add it later', '--gpt-id', {
      validate: (v) => (!v.trim() || /^g-[A-Za-z0-9]{6,}/.test(v.trim()) ? true : 'a GPT id looks like g-AbC123xyz'),
    })).trim() || undefined;
  }
  const { parseGptId } = await import('../../gpt-actions/gpt.js');
  if (gptId) gptId = parseGptId(gptId);
  const scopes = o.scopes ? o.scopes.split(/[\s,]+/).filter(Boolean) : defaults.scopes ?? (wantsActions ? DEFAULT_SCOPES[provider] : undefined);

  const project: ProjectFile = { version: 1, target, provider: provider as Provider, mcpUrl, apiUrl, gptId, scopes };

  const result: InitResult = { configFile, target, provider, project, changes: [], templates: [] };
  if (sandbox || provider === 'custom') {
    const found = provider === 'custom' && mcpUrl ? await checkCustomServer(io, mcpUrl, say) : {};
    // What the server advertises fills the project and the templates (the user's flags win).
    if (found.issuer) project.issuer ??= found.issuer;
    if (found.scopes?.length && !o.scopes) project.scopes = found.scopes;
    await saveProject(configFile, project);
    say(`${st.green('✔')} Wrote ${configFile}`);
    result.templates = await offerTemplates(io, o, prompt, project, dir, say, {}, found);
    return finish(io, o, prompt, result, {}, say);
  }

  // A provider: plan, confirm, provision.
  const name = o.name ?? defaults.app?.name ?? `ChatGPT ${new URL(apiUrl ?? mcpUrl ?? 'https://app.example').host}`;
  const redirectUris = gptId ? Object.values(gptCallbackUrls(gptId)) : [];
  const plan: string[] = [];
  if (wantsApps) plan.push(`switch on what ChatGPT Apps need on ${LABEL[provider] ?? provider} (${appsSettings(provider, mcpUrl!, o.authorizationUrl)})`);
  if (wantsActions) {
    plan.push(`${o.app ?? defaults.app ? 'update' : 'create (or reuse, if one has this name)'} the OAuth app "${o.app ?? defaults.app?.clientId ?? name}" for the GPT Action`);
    plan.push(redirectUris.length ? `make sure its callback URLs include ${redirectUris.join(' and ')}` : 'leave its callback URLs for later (no GPT id yet)');
  }
  say('');
  say(st.bold(`On ${LABEL[provider] ?? provider}, gpt-oauth will:`));
  for (const p of plan) say(`  • ${p}`);
  if (!o.yes) {
    if (!io.interactive) throw new UsageError('missing --yes (required to change the provider when not running interactively)');
    if (!(await prompt.confirm('Go ahead?', '--yes'))) throw new CancelledError('Nothing changed.');
  }

  const http = new HttpClient({ timeoutMs: 20_000, maxBytes: 4 * 1024 * 1024, userAgent: `gpt-oauth/${VERSION}`, onWait: (ms, why) => io.stderr.write(`waiting ${Math.ceil(ms / 1000)} s for ${why}…\n`) });
  const secrets: { clientSecret?: string; stored?: string } = {};
  try {
    const { loadProvider } = await import('../../providers/index.js');
    const { ensureApp } = await import('../../providers/ops.js');
    const adapter = await loadProvider(provider, env, http);
    // Before any write: an issuer that cannot be known (Stytch without STYTCH_DOMAIN, when its
    // discovery contradicts the legacy path) stops here, naming the variable to set.
    const iss = await adapter.issuer();
    const changes: SettingChange[] = [];
    if (wantsApps) {
      const spec: AppSpec = { name, target: 'apps', redirectUris: [], resource: mcpUrl, connection: o.connection, authorizationUrl: o.authorizationUrl };
      let applied: SettingChange[];
      try {
        applied = await withSpinner(io, 'Switching on what ChatGPT Apps need', () => adapter.enableChatGpt(spec), (c) => `ChatGPT Apps settings: ${summarise(c)}`);
      } catch (err) {
        // Auth0 with several login connections: ask which one DCR clients use (nothing changed yet).
        const names = (err as { names?: string[] }).names;
        if (!names || !io.interactive) throw err;
        spec.connection = await prompt.select('Which login connection do your users sign in with? (DCR clients need it at domain level)', names.map((n) => ({ value: n, name: n })), '--connection');
        applied = await withSpinner(io, 'Switching on what ChatGPT Apps need', () => adapter.enableChatGpt(spec), (c) => `ChatGPT Apps settings: ${summarise(c)}`);
      }
      changes.push(...applied);
    }
    if (wantsActions) {
      const spec: AppSpec = { name, target: 'actions', redirectUris, resource: apiUrl, scopes, authorizationUrl: o.authorizationUrl };
      changes.push(...await withSpinner(io, 'Preparing the provider for the GPT Action', () => adapter.enableChatGpt(spec), (c) => `GPT Action settings: ${summarise(c)}`));
      const r = await withSpinner(io, `Creating or updating the OAuth app "${name}"`, async () => ensureApp(adapter, spec, o.app ?? defaults.app?.id, await (await import('../../secrets.js')).configDir(io.env)), (x) => `${x.created ? 'Created' : 'Reused'} the OAuth app ${safeText(x.app.name, 120)} (client id ${safeText(x.app.clientId, 120)})${x.addedRedirectUris.length ? `, added ${x.addedRedirectUris.length} callback URL(s)` : ''}`);
      project.app = { id: r.app.id, clientId: r.app.clientId, name: r.app.name };
      result.app = { ...project.app, created: r.created, addedRedirectUris: r.addedRedirectUris };
      const { storeSecret, readSecret, secretAccount } = await import('../../secrets.js');
      if (!r.clientSecret && !(await readSecret(secretAccount(provider, r.app.clientId), io.env)) && !io.env.GPT_OAUTH_CLIENT_SECRET) {
        // A reused app whose secret nobody has (e.g. an earlier create whose answer was lost):
        // the GPT editor needs it, and providers show a secret only once, so rotate to get one.
        say(`${st.yellow('!')} No client secret for ${r.app.clientId} is stored on this machine, and GPT_OAUTH_CLIENT_SECRET is not set.`);
        const rotate = o.rotateSecret ?? (io.interactive ? await prompt.confirm('Rotate the client secret now? (the old secret stops working)', '--rotate-secret', true) : false);
        if (!rotate) {
          throw new CliError(`the OAuth app ${r.app.clientId} was reused, but no one has its client secret`, EXIT.failed,
            'Run again with --rotate-secret to have the provider issue a new one (stored like a new app\'s), or set GPT_OAUTH_CLIENT_SECRET if you have it.', 'secret_missing');
        }
        r.clientSecret = await withSpinner(io, `Rotating the client secret of ${r.app.clientId}`, () => adapter.rotateSecret(r.app), () => 'New client secret issued');
      }
      if (r.clientSecret) {
        registerClientCredentials(r.app.clientId, r.clientSecret);
        secrets.clientSecret = r.clientSecret;
        // Stored the same way in CI as anywhere else: dropping it would lose the only copy of a
        // secret the provider may never show again. A CI runner is thrown away, so say so.
        const where = await storeSecret(secretAccount(provider, r.app.clientId), r.clientSecret, io.env);
        secrets.stored = where.where;
        say(`${st.green('✔')} Stored the client secret in ${where.where}`);
        if (io.env.CI && io.env.CI !== 'false') {
          say(`${st.yellow('!')} This looks like a CI runner, which is discarded after the job: copy the secret from there into your CI secret store as GPT_OAUTH_CLIENT_SECRET.`);
        }
      }
    }
    project.issuer = iss.issuer;
    if (wantsActions) {
      // Stytch's authorization endpoint is the user's page; Supabase's --authorization-url is
      // its consent page, behind the project's own authorization endpoint.
      project.authUrl = provider === 'stytch' ? o.authorizationUrl ?? iss.authorizationUrl : iss.authorizationUrl ?? o.authorizationUrl;
      project.tokenUrl = iss.tokenUrl;
    }
    result.changes = changes;
    const manual = changes.filter((x) => x.status === 'manual');
    // Both targets may need the same dashboard step; say it once.
    for (const c of manual.filter((x, i) => manual.findIndex((y) => y.setting === x.setting && y.note === x.note) === i)) {
      say(`${st.yellow('!')} ${c.setting}: ${c.note ?? 'change it in the dashboard'}${c.dashboardUrl ? ` (${c.dashboardUrl})` : ''}`);
    }
  } finally {
    await http.close();
  }

  await saveProject(configFile, project);
  say(`${st.green('✔')} Wrote ${configFile} (no secrets in it)`);
  result.templates = await offerTemplates(io, o, prompt, project, dir, say, secrets);
  if (secrets.clientSecret) result.clientSecret = { masked: mask(secrets.clientSecret), storedIn: secrets.stored! };
  await offerOpen(io, o, prompt, provider as ProviderName, say);
  return finish(io, o, prompt, result, secrets, say);
}

/** `init --json`: what was set up, what changed and what to paste — never a secret. */
interface InitResult {
  configFile: string;
  target: Target;
  provider: string;
  project: ProjectFile;
  app?: { id: string; clientId: string; name: string; created: boolean; addedRedirectUris: string[] };
  clientSecret?: { masked: string; storedIn: string };
  changes: SettingChange[];
  templates: { name: string; path: string; status: string }[];
  paste?: Record<string, unknown>;
  doctor?: import('../../doctor/types.js').Report;
  /** `--target both`: the actions suite's report (`doctor` holds the apps one). */
  doctorActions?: import('../../doctor/types.js').Report;
}

/** Render the result (the paste block, or one JSON object), then offer the doctor. */
async function finish(io: IO, o: InitOptions, prompt: Prompter, result: InitResult, secrets: { clientSecret?: string; stored?: string }, say: (l?: string) => void): Promise<number> {
  if (!io.json) {
    io.stdout.write(`${finalBlock(result.project, secrets, style(io.colorStdout))}\n`);
    return offerDoctor(io, o, prompt, result.configFile, result.project.target, say);
  }
  result.paste = pasteFields(result.project, secrets);
  let code: number = EXIT.ok;
  if (o.doctor) {
    // One JSON object on stdout: the doctor's report goes inside it.
    const { validate } = await import('../doctor/options.js');
    const { run: runDoctor } = await import('../doctor/run.js');
    // Every target the project has, as the offer at a terminal runs them.
    const targets = result.project.target === 'both' ? (['apps', 'actions'] as const) : [undefined];
    for (const target of targets) {
      const ran = await runDoctor(io, await validate(io, { config: result.configFile, ...(target ? { target } : {}) }));
      await ran.close?.();
      const { report } = ran;
      if (target === 'actions') result.doctorActions = report;
      else result.doctor = report;
      if (report.summary.failed) code = EXIT.failed;
    }
  }
  io.stdout.write(`${JSON.stringify(redactDeep(result), null, 2)}\n`);
  return code;
}

/** What to paste into ChatGPT, as data (the same facts as the human block). */
function pasteFields(p: ProjectFile, secrets: { clientSecret?: string; stored?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.target !== 'apps' && p.provider !== 'sandbox') {
    out.gptEditor = {
      clientId: p.app?.clientId ?? null,
      clientSecret: secrets.clientSecret ? mask(secrets.clientSecret) : null,
      authorizationUrl: p.authUrl ?? null,
      tokenUrl: p.tokenUrl ?? null,
      scope: p.scopes?.join(' ') ?? '',
      tokenExchangeMethod: 'Default (POST request)',
    };
  }
  if (p.target !== 'actions' && p.provider !== 'sandbox') out.chatgptApp = { mcpServerUrl: p.mcpUrl ?? null, authentication: 'OAuth' };
  return out;
}

/** Loopback or a private address: unreachable from OpenAI's servers. */
function isLocal(raw: string): boolean {
  const h = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  return isLoopback(new URL(raw)) || /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|fc|fd)/.test(h) || h.endsWith('.local') || h.endsWith('.internal');
}

/** Without a terminal nothing can be asked: name every missing flag and variable at once. */
function requireAllFlags(o: InitOptions, defaults: Partial<ProjectFile>, env: NodeJS.ProcessEnv): void {
  const missing: string[] = [];
  const target = o.target ?? defaults.target;
  const provider = o.provider ?? defaults.provider;
  // Firebase and Privy get their own explanation (they cannot be the OAuth server).
  if (provider === 'firebase' || provider === 'privy') return;
  if (!target) missing.push('--target actions|apps|both');
  if (!provider) missing.push('--provider clerk|auth0|stytch|supabase|custom|sandbox');
  if (provider && isProvider(provider)) {
    const c = CREDENTIALS[provider];
    const vars = provider === 'auth0' && env.AUTH0_MANAGEMENT_TOKEN ? c.vars.filter((v) => v.name === 'AUTH0_DOMAIN') : c.vars;
    missing.push(...vars.filter((v) => !env[v.name]).map((v) => v.name));
    if (!o.yes) missing.push('--yes');
  }
  if (provider !== 'sandbox' && target && target !== 'actions' && !(o.mcpUrl ?? defaults.mcpUrl)) missing.push('--mcp-url URL');
  if (provider !== 'sandbox' && target && target !== 'apps' && !(o.apiUrl ?? defaults.apiUrl)) missing.push('--api-url URL');
  if (missing.length) throw new UsageError(`missing ${missing.join(', ')} (required when not running interactively)`, 'Secrets are read from the environment, never from flag values.');
}

function summarise(changes: SettingChange[]): string {
  const changed = changes.filter((c) => c.status === 'changed').length;
  const already = changes.filter((c) => c.status === 'already').length;
  const manual = changes.filter((c) => c.status === 'manual').length;
  return `${changed} changed, ${already} already right${manual ? `, ${manual} to do in the dashboard` : ''}`;
}

/** What discovery found on the user's server (src/doctor/suites/apps.ts), for the templates. */
interface Discovered { issuer?: string; jwksUri?: string; authUrl?: string; tokenUrl?: string; resource?: string; scopes?: string[] }

/**
 * A value the templates still need from the user: it says so, and it cannot be deployed
 * unnoticed (the middleware refuses to start with it; init lists where it is).
 */
const PLACEHOLDER = 'REPLACE-ME';

/** "custom": nothing to provision; check what the user's own server advertises. */
async function checkCustomServer(io: IO, mcpUrl: string, say: (l?: string) => void): Promise<Discovered> {
  const http = new HttpClient({ timeoutMs: 10_000, maxBytes: 1 << 20, userAgent: `gpt-oauth/${VERSION}` });
  try {
    const { runAppsSuite } = await import('../../doctor/suites/apps.js');
    const report = await withSpinner(io, `Reading what ${mcpUrl} advertises`, () => runAppsSuite({ mcpUrl, http, login: 'auto', selection: { only: ['resource.', 'prm.', 'as.'] } }),
      (r) => `Discovery: ${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.warnings} warnings`);
    for (const c of report.checks.filter((x) => x.status === 'fail' || x.status === 'warn')) say(`  ${c.status === 'fail' ? '✗' : '!'} ${c.id}: ${safeText(c.detail, 300)}${c.fix ? `\n    fix: ${safeText(c.fix, 300)}` : ''}`);
    return (report as { discovered?: Discovered }).discovered ?? {};
  } finally {
    await http.close();
  }
}

async function offerTemplates(io: IO, o: InitOptions, prompt: Prompter, p: ProjectFile, dir: string, say: (l?: string) => void, secrets: { clientSecret?: string }, found: Discovered = {}): Promise<{ name: string; path: string; status: string }[]> {
  const { TEMPLATE_NAMES, TEMPLATES, renderTemplate, writeTemplate } = await import('../../templates.js');
  const fits = TEMPLATE_NAMES.filter((n) => TEMPLATES[n].needs === 'any' || (TEMPLATES[n].needs === 'apps' ? p.target !== 'actions' : p.target !== 'apps'));
  let chosen: string[];
  if (o.templates !== undefined) {
    chosen = o.templates === 'all' ? fits : o.templates === 'none' ? [] : o.templates.split(',').map((s) => s.trim()).filter(Boolean);
    for (const c of chosen) if (!TEMPLATE_NAMES.includes(c as never)) throw new UsageError(`--templates: unknown template "${c}" (choose from ${TEMPLATE_NAMES.join(', ')}, all or none)`);
  } else if (io.interactive) {
    chosen = await prompt.checkbox('Write any of these files?', fits.map((n) => ({ value: n, name: `${TEMPLATES[n].dest} — ${TEMPLATES[n].describe}` })), '--templates');
  } else {
    chosen = [];
  }
  const scopes = p.scopes?.length ? p.scopes : ['openid'];
  const doctorArgs = p.provider === 'sandbox' ? '--sandbox' + (p.target === 'actions' ? ' --target actions' : '')
    : p.target === 'actions' ? '--target actions' : p.mcpUrl ?? '';
  const values: Record<string, string> = {
    target: p.target, version: VERSION, doctorArgs, doctorSteps: workflowSteps(p),
    apiOrigin: p.apiUrl ? new URL(p.apiUrl).origin : `https://${PLACEHOLDER}.api.example.com`,
    authUrl: p.authUrl ?? found.authUrl ?? `https://${PLACEHOLDER}.auth.example.com/authorize`, tokenUrl: p.tokenUrl ?? found.tokenUrl ?? `https://${PLACEHOLDER}.auth.example.com/token`,
    scopesYaml: scopes.map((s) => `            ${s}: ${s}`).join('\n'), scopesList: scopes.join(', '), scopesJson: JSON.stringify(scopes),
    mcpUrl: p.mcpUrl ?? found.resource ?? `https://${PLACEHOLDER}.api.example.com/mcp`, issuer: p.issuer ?? `https://${PLACEHOLDER}.auth.example.com`,
    jwksUri: found.jwksUri ?? (p.issuer ? `${p.issuer.replace(/\/$/, '')}/.well-known/jwks.json` : `https://${PLACEHOLDER}.auth.example.com/.well-known/jwks.json`),
    audienceExpr: p.provider === 'supabase' ? "'authenticated' /* Supabase cannot bind the audience; check client_id too */" : 'MCP_URL',
    resourceName: 'MCP server',
    envLines: envExample(p),
  };
  const written: { name: string; path: string; status: string }[] = [];
  // Provider- and user-supplied values go into files people open in editors and terminals.
  for (const k of Object.keys(values)) values[k] = safeText(values[k], 100_000);
  for (const n of chosen as (typeof TEMPLATE_NAMES)[number][]) {
    const content = await renderTemplate(n, values);
    if (secrets.clientSecret && content.includes(secrets.clientSecret)) throw new CliError('refusing to write a template that contains the client secret');
    const r = await writeTemplate(dir, n, content, !!o.force);
    if (r.status === 'written') say(`✔ Wrote ${r.path}`);
    else if (r.status === 'unchanged') say(`✔ ${r.path} is up to date`);
    else say(`! ${r.path} exists and differs; not overwritten (use --force). What would change:\n${r.diff ?? ''}`);
    if (r.status !== 'kept' && content.includes(`https://${PLACEHOLDER}.`)) say(`! ${r.path} still has values gpt-oauth could not discover, marked ${PLACEHOLDER}: set them before deploying`);
    written.push({ name: n, path: r.path, status: r.status });
  }
  return written;
}

function envExample(p: ProjectFile): string {
  const lines = ['# The GPT Action\'s client secret (for gpt-oauth doctor --target actions)', 'GPT_OAUTH_CLIENT_SECRET='];
  const byProvider: Record<string, string[]> = {
    clerk: ['CLERK_SECRET_KEY='], auth0: ['AUTH0_DOMAIN=', 'AUTH0_CLIENT_ID=', 'AUTH0_CLIENT_SECRET='],
    stytch: ['STYTCH_PROJECT_ID=', 'STYTCH_SECRET='], supabase: ['SUPABASE_PROJECT_REF=', 'SUPABASE_ACCESS_TOKEN='],
  };
  if (byProvider[p.provider]) lines.push(`# ${p.provider} management credentials (for gpt-oauth init and callbacks)`, ...byProvider[p.provider]!);
  return lines.join('\n');
}

/** Exactly what to paste into ChatGPT. Secrets masked; where the full one is stored is said. */
function finalBlock(p: ProjectFile, secrets: { clientSecret?: string; stored?: string }, st: ReturnType<typeof style>): string {
  const lines: string[] = [''];
  const row = (k: string, v: string) => `  ${k.padEnd(23)}${v}`;
  if (p.provider === 'sandbox') {
    lines.push(st.bold('The sandbox is set up. Try it:'), `  ${invocation()} doctor          (reads gpt-oauth.yaml, starts the sandbox, runs every check)`);
    if (p.target === 'both') lines.push(`  ${invocation()} doctor --target actions`);
    return lines.join('\n');
  }
  if (p.target !== 'apps') {
    lines.push(st.bold('Paste into the GPT editor (Configure → Actions → Authentication → OAuth):'));
    lines.push(row('Client ID', p.app?.clientId ? safeText(p.app.clientId, 200) : '(your client id)'));
    lines.push(row('Client Secret', secrets.clientSecret ? `${mask(secrets.clientSecret)}  (full value stored in ${secrets.stored})` : '(the app\'s existing secret)'));
    lines.push(row('Authorization URL', p.authUrl ? safeText(p.authUrl, 500) : (p.provider === 'stytch' ? '(your app\'s authorization page: run init again with --authorization-url URL)' : '(your authorization endpoint)')));
    lines.push(row('Token URL', p.tokenUrl ? safeText(p.tokenUrl, 500) : '(your token endpoint)'));
    lines.push(row('Scope', safeText(p.scopes?.join(' ') ?? '', 500)));
    lines.push(row('Token Exchange Method', 'Default (POST request)'));
    if (p.gptId) lines.push(`  Callback URLs registered for ${p.gptId}.`);
    else lines.push('  Once the GPT is saved, register its callback URLs:', `    ${invocation()} callbacks add --gpt-id g-…${p.provider !== 'custom' ? '' : `   (or add both ${Object.values(gptCallbackUrls('g-…')).join(' and ')} to your server)`}`);
  }
  if (p.target !== 'actions') {
    lines.push(st.bold('In ChatGPT (Settings → Apps → Create app):'));
    lines.push(row('MCP Server URL', safeText(p.mcpUrl ?? '', 500)));
    lines.push(row('Authentication', 'OAuth'));
    lines.push('  Leave the client fields empty: ChatGPT registers its own client (dynamic registration).');
  }
  lines.push('', `Check it as ChatGPT would: ${invocation()} doctor${p.target === 'both' ? `   and   ${invocation()} doctor --target actions` : ''}`);
  return lines.join('\n');
}

async function offerOpen(io: IO, o: InitOptions, prompt: Prompter, provider: ProviderName, say: (l?: string) => void): Promise<void> {
  const wanted = o.open ?? (io.interactive ? await prompt.confirm('Open the provider dashboard and ChatGPT in your browser?', '--open', false) : false);
  if (!wanted) return;
  const { default: open } = await import('open');
  for (const url of [CREDENTIALS[provider].dashboard, GPT_EDITOR_URL]) {
    await open(url).catch(() => say(`Could not open ${url}`));
  }
}

/**
 * The workflow's doctor steps: the gpt-oauth action (action.yml) once per target (`both` is apps
 * and actions, each with its own report files). The apps step passes the repository's saved
 * refresh token and client id (secret GPT_OAUTH_REFRESH_TOKEN, variable GPT_OAUTH_CLIENT_ID): the
 * action starts from the token when there is one and signs in with --login auto otherwise. The
 * action picks up .gpt-oauth-baseline.yaml by itself.
 */
function workflowSteps(p: { provider: string; target: string; mcpUrl?: string }): string {
  const targets = p.target === 'both' ? ['apps', 'actions'] : [p.target];
  return targets.map((t, i) => {
    const suffix = targets.length > 1 ? `-${t}` : '';
    const sandbox = p.provider === 'sandbox';
    const url = t === 'apps' && !sandbox ? p.mcpUrl : undefined;
    return [
      `      - name: gpt-oauth doctor (${t})`,
      `        id: doctor${suffix}`,
      // The second target runs even when the first failed (both reports are wanted).
      ...(i > 0 ? ['        if: ${{ !cancelled() }}'] : []),
      `        uses: ${GITHUB_ACTION}`,
      '        with:',
      ...(url ? [`          url: ${url}`] : []),
      ...(t === 'actions' ? ['          target: actions'] : []),
      ...(t === 'apps' && !sandbox ? ['          client-id: ${{ vars.GPT_OAUTH_CLIENT_ID }}', '          refresh-token: ${{ secrets.GPT_OAUTH_REFRESH_TOKEN }}'] : []),
      ...(t === 'actions' && !sandbox ? ['          client-secret: ${{ secrets.GPT_OAUTH_CLIENT_SECRET }}'] : []),
      `          report: gpt-oauth-report${suffix}.md`,
      `          junit: gpt-oauth-junit${suffix}.xml`,
      `          args: ${sandbox ? '--sandbox ' : ''}--trace gpt-oauth-trace${suffix}.har`,
    ].join('\n');
  }).join('\n');
}

async function offerDoctor(io: IO, o: InitOptions, prompt: Prompter, configFile: string, target: string, say: (l?: string) => void): Promise<number> {
  const wanted = o.doctor ?? (io.interactive ? await prompt.confirm('Run gpt-oauth doctor now?', '--doctor', true) : false);
  if (!wanted) return EXIT.ok;
  say('');
  const { doctor } = await import('../doctor/index.js');
  if (target !== 'both') return doctor(io, { config: configFile });
  // Both means both: the apps suite, then the actions suite; a failure outranks incomplete.
  const codes = [await doctor(io, { config: configFile, target: 'apps' }), await doctor(io, { config: configFile, target: 'actions' })];
  return codes.includes(EXIT.failed) ? EXIT.failed : codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
}

/** The settings `init` changes for ChatGPT Apps, as each provider names them (only those it has). */
function appsSettings(provider: string, mcpUrl: string, authorizationUrl: string | undefined): string {
  switch (provider) {
    case 'auth0': return `dynamic client registration, an API whose identifier (the audience) is ${mcpUrl}, the resource parameter profile, iss in authorization responses`;
    case 'clerk': return 'dynamic client registration, JWT access tokens';
    case 'stytch': return `dynamic client registration${authorizationUrl ? `, the authorization URL ${authorizationUrl}` : ''} (tokens carry the project id as aud: the MCP server checks it and the issuer)`;
    case 'supabase': return `the OAuth 2.1 server, dynamic client registration, the authorization path${authorizationUrl ? ` and Site URL of your consent page ${authorizationUrl}` : ' (your consent page lives at the Site URL + that path)'}; tokens carry aud "authenticated"`;
    default: return 'dynamic client registration';
  }
}
