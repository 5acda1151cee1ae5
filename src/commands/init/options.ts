/** `init`'s options, their validation, and the questions that fill in what the flags did not. */
import { UsageError } from '../../errors.js';
import type { IO } from '../../ui/io.js';
import type { Prompter } from '../../ui/prompt.js';
import { withSpinner } from '../../ui/spinner.js';
import { safeText } from '../../text.js';
import { style } from '../../ui/style.js';
import { HttpClient } from '../../http/client.js';
import { VERSION } from '../../version.js';
import { askCredentials, CREDENTIALS } from '../provider-credentials.js';
import type { ProjectFile } from '../../project.js';
import type { ProviderName } from '../../providers/types.js';
import { isHttpsOrLoopback, isLoopback } from '../../url.js';

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

export type Target = ProjectFile['target'];
export type Provider = ProjectFile['provider'];

const isProvider = (p: string): p is ProviderName => p in CREDENTIALS;

/** Providers in their own spelling. */
export const LABEL: Record<string, string> = { clerk: 'Clerk', auth0: 'Auth0', stytch: 'Stytch', supabase: 'Supabase', custom: 'your authorization server', sandbox: 'the sandbox' };

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

/** What the person answered (or the flags and the existing project file said). */
export interface Answers {
  target: Target;
  provider: string;
  /** The environment with the provider credentials asked for (never written anywhere). */
  env: NodeJS.ProcessEnv;
  mcpUrl?: string;
  apiUrl?: string;
  gptId?: string;
  scopes?: string[];
  /** `--app`, or (custom, at a terminal) the client id the person gave for the GPT Action. */
  app?: string;
}

/**
 * The questions, in order: target, provider, its credentials (checked at once, so a wrong key
 * fails before the rest), the URLs, the GPT id and the scopes. Each has a flag; without a
 * terminal a missing one is an exit-2 error naming every missing flag at once.
 */
export async function ask(io: IO, o: InitOptions, prompt: Prompter, defaults: Partial<ProjectFile>, say: (l?: string) => void): Promise<Answers> {
  const st = style(io.color);
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
  // Your own server: init cannot register the GPT Action's client, so it asks for one already there.
  let app = o.app;
  if (provider === 'custom' && wantsActions && app === undefined && !defaults.app && io.interactive) {
    app = (await prompt.input('Client id of the GPT Action\'s client on your server, or leave empty to register one later', '--app')).trim() || undefined;
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

  return { target, provider, env, mcpUrl, apiUrl, gptId, scopes, app };
}

/** Loopback or a private address: unreachable from OpenAI's servers. */
function isLocal(raw: string): boolean {
  const h = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  return isLoopback(new URL(raw)) || /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|fc|fd)/.test(h) || h.endsWith('.local') || h.endsWith('.internal');
}

/** Without a terminal nothing can be asked: name every missing flag and variable at once. */
function requireAllFlags(o: InitOptions, defaults: Partial<ProjectFile>, env: NodeJS.ProcessEnv): void {
  const missing: string[] = [];
  // The hint about secrets only where a secret variable is what is missing.
  let secretMissing = false;
  const target = o.target ?? defaults.target;
  const provider = o.provider ?? defaults.provider;
  // Firebase and Privy get their own explanation (they cannot be the OAuth server).
  if (provider === 'firebase' || provider === 'privy') return;
  if (!target) missing.push('--target actions|apps|both');
  if (!provider) missing.push('--provider clerk|auth0|stytch|supabase|custom|sandbox');
  if (provider && isProvider(provider)) {
    const c = CREDENTIALS[provider];
    const vars = provider === 'auth0' && env.AUTH0_MANAGEMENT_TOKEN ? c.vars.filter((v) => v.name === 'AUTH0_DOMAIN') : c.vars;
    const unset = vars.filter((v) => !env[v.name]);
    missing.push(...unset.map((v) => v.name));
    secretMissing = unset.some((v) => v.secret);
    if (!o.yes) missing.push('--yes');
  }
  if (provider !== 'sandbox' && target && target !== 'actions' && !(o.mcpUrl ?? defaults.mcpUrl)) missing.push('--mcp-url URL');
  if (provider !== 'sandbox' && target && target !== 'apps' && !(o.apiUrl ?? defaults.apiUrl)) missing.push('--api-url URL');
  if (missing.length) throw new UsageError(`missing ${missing.join(', ')} (required when not running interactively)`,
    secretMissing ? 'Secrets are read from the environment, never from flag values.' : undefined);
}
