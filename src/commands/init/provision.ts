/**
 * `init` with a provider: say the plan, confirm it, then provision through the provider's
 * management API — ChatGPT Apps settings, the GPT Action's OAuth app and its callback URLs, its
 * client secret (stored in the keyring or a 0600 file, never printed) — and learn the issuer and
 * endpoints the project file records. Nothing local is written before this succeeded.
 */
import { CancelledError, CliError, EXIT, UsageError } from '../../errors.js';
import type { IO } from '../../ui/io.js';
import type { Prompter } from '../../ui/prompt.js';
import { withSpinner } from '../../ui/spinner.js';
import { safeText } from '../../text.js';
import { style } from '../../ui/style.js';
import { HttpClient } from '../../http/client.js';
import { registerClientCredentials } from '../../http/redact.js';
import { VERSION } from '../../version.js';
import type { ProjectFile } from '../../project.js';
import type { AppSpec, ProviderName, SettingChange } from '../../providers/types.js';
import { gptCallbackUrls } from '../../chatgpt/redirects.js';
import { LABEL, type Answers, type InitOptions } from './options.js';
import type { InitResult } from './render.js';

/** Provision `project` on the provider; fills in the project and `result`, returns the secrets. */
export async function provision(io: IO, o: InitOptions, prompt: Prompter, a: Answers, defaults: Partial<ProjectFile>, project: ProjectFile, result: InitResult, say: (l?: string) => void): Promise<{ clientSecret?: string; stored?: string }> {
  const st = style(io.color);
  const { target, env, mcpUrl, apiUrl, gptId, scopes } = a;
  const provider = a.provider as ProviderName;
  const wantsApps = target !== 'actions';
  const wantsActions = target !== 'apps';
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
  return secrets;
}

function summarise(changes: SettingChange[]): string {
  const changed = changes.filter((c) => c.status === 'changed').length;
  const already = changes.filter((c) => c.status === 'already').length;
  const manual = changes.filter((c) => c.status === 'manual').length;
  return `${changed} changed, ${already} already right${manual ? `, ${manual} to do in the dashboard` : ''}`;
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
