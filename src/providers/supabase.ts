/**
 * Supabase OAuth 2.1 server (beta): settings through the Management API (SUPABASE_ACCESS_TOKEN,
 * SUPABASE_PROJECT_REF; SUPABASE_API_URL), clients through the Auth admin API at SUPABASE_URL
 * (default https://<ref>.supabase.co) with the service-role key (SUPABASE_SERVICE_ROLE_KEY, or
 * fetched through the Management API).
 */
import type { HttpClient } from '../http/client.js';
import { registerSecret } from '../http/redact.js';
import { ProviderHttp } from './http.js';
import { apiOrigin, requireEnv } from './env.js';
import { ProviderError, type AppSpec, type OAuthApp, type ProviderAdapter, type SecretAuthMethod, type SettingChange } from './types.js';
import { diffSettings } from './settings.js';

interface SupabaseClient { client_id: string; client_name: string; client_type: string; redirect_uris?: string[]; client_secret?: string; token_endpoint_auth_method?: string }
const MAX_REDIRECTS = 10;

export class SupabaseAdapter implements ProviderAdapter {
  readonly name = 'supabase' as const;
  private readonly mgmt: ProviderHttp;
  private readonly auth: ProviderHttp;
  private readonly ref: string;
  private readonly projectUrl: string;
  private serviceKey?: string;

  constructor(env: NodeJS.ProcessEnv, http: HttpClient) {
    const token = requireEnv(env, 'SUPABASE_ACCESS_TOKEN', 'a personal access token (sbp_…) from Account → Access Tokens');
    this.ref = requireEnv(env, 'SUPABASE_PROJECT_REF', 'the project reference, the subdomain of https://<ref>.supabase.co');
    this.projectUrl = apiOrigin(env.SUPABASE_URL ?? `https://${this.ref}.supabase.co`, 'SUPABASE_URL');
    if (env.SUPABASE_SERVICE_ROLE_KEY) {
      this.serviceKey = env.SUPABASE_SERVICE_ROLE_KEY;
      registerSecret(this.serviceKey, 'SUPABASE_SERVICE_ROLE_KEY', true);
    }
    this.mgmt = new ProviderHttp({
      provider: 'supabase',
      http,
      locationVariable: 'SUPABASE_API_URL',
      baseUrl: `${apiOrigin(env.SUPABASE_API_URL ?? 'https://api.supabase.com', 'SUPABASE_API_URL')}/v1/projects/${encodeURIComponent(this.ref)}`,
      headers: () => ({ authorization: `Bearer ${token}` }),
      parseError: (_s, body) => ({ message: (body as { message?: string } | undefined)?.message }),
      authHint: () => 'SUPABASE_ACCESS_TOKEN was refused or has no access to this project (SUPABASE_PROJECT_REF).',
    });
    this.auth = new ProviderHttp({
      provider: 'supabase',
      http,
      locationVariable: 'SUPABASE_URL',
      baseUrl: `${this.projectUrl}/auth/v1`,
      headers: async (): Promise<Record<string, string>> => {
        const key = await this.key();
        // New sb_secret_ keys go in apikey only; legacy service_role JWTs also as the bearer.
        return key.startsWith('sb_') ? { apikey: key } : { apikey: key, authorization: `Bearer ${key}` };
      },
      parseError: (_s, body) => {
        const b = body as { error_code?: string; msg?: string; message?: string } | undefined;
        return { code: b?.error_code, message: b?.msg ?? b?.message };
      },
      authHint: () => 'The Auth admin API refused the service-role key: set SUPABASE_SERVICE_ROLE_KEY, or let gpt-oauth fetch it with a SUPABASE_ACCESS_TOKEN that can read the project\'s API keys.',
    });
  }

  private async key(): Promise<string> {
    if (this.serviceKey) return this.serviceKey;
    const keys = await this.mgmt.call<{ api_key?: string; name?: string; type?: string }[]>('GET', '/api-keys', { query: { reveal: true }, what: 'fetching the service-role key' });
    const k = keys.find((x) => x.type === 'secret' && x.api_key) ?? keys.find((x) => x.name === 'service_role' && x.api_key);
    if (!k?.api_key) throw new ProviderError('supabase', 'no service-role or secret API key was returned for the project', undefined, undefined, 'Set SUPABASE_SERVICE_ROLE_KEY.');
    registerSecret(k.api_key, 'supabase service key', true);
    return (this.serviceKey = k.api_key);
  }

  private toApp(c: SupabaseClient): OAuthApp {
    return { id: c.client_id, clientId: c.client_id, name: c.client_name, redirectUris: c.redirect_uris ?? [], public: c.client_type === 'public', tokenAuthMethod: c.token_endpoint_auth_method ?? null };
  }

  async checkCredentials() {
    const cfg = await this.mgmt.call<{ oauth_server_enabled?: boolean }>('GET', '/config/auth', { what: 'reading the auth configuration' });
    await this.key();
    return { account: `Supabase project ${this.ref}`, allows: ['auth configuration', 'OAuth clients (admin)', `OAuth server ${cfg.oauth_server_enabled ? 'enabled' : 'disabled'}`] };
  }

  async findApp(ref: string): Promise<OAuthApp | undefined> {
    // The list endpoint ignores paging and returns every client.
    const res = await this.auth.call<{ clients: SupabaseClient[] }>('GET', '/admin/oauth/clients', { what: 'listing OAuth clients' });
    const hit = res.clients.find((c) => c.client_id === ref) ?? res.clients.find((c) => c.client_name === ref);
    return hit ? this.toApp(hit) : undefined;
  }

  async createApp(spec: AppSpec) {
    if (spec.redirectUris.length > MAX_REDIRECTS) throw new ProviderError('supabase', `Supabase allows at most ${MAX_REDIRECTS} redirect URIs per client (${spec.redirectUris.length} given)`);
    const actions = spec.target === 'actions';
    const c = await this.auth.call<SupabaseClient>('POST', '/admin/oauth/clients', {
      what: 'creating the OAuth client',
      json: {
        client_name: spec.name,
        redirect_uris: spec.redirectUris,
        client_type: actions ? 'confidential' : 'public',
        token_endpoint_auth_method: actions ? 'client_secret_post' : 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    });
    if (c.client_secret) registerSecret(c.client_secret, 'client_secret', true);
    return { app: this.toApp(c), clientSecret: c.client_secret };
  }

  async setRedirectUris(app: OAuthApp, uris: string[]) {
    if (uris.length > MAX_REDIRECTS) {
      throw new ProviderError('supabase', `Supabase allows at most ${MAX_REDIRECTS} redirect URIs per client; this change would make ${uris.length}`, undefined, 'validation_failed', 'Remove redirect URIs you no longer use (gpt-oauth callbacks remove --url …), or use one client per GPT.');
    }
    return this.toApp(await this.auth.call<SupabaseClient>('PUT', `/admin/oauth/clients/${encodeURIComponent(app.id)}`, { json: { redirect_uris: uris }, what: 'updating the redirect URIs' }));
  }

  /** The OAuth client's token_endpoint_auth_method (confidential clients: client_secret_basic or client_secret_post). */
  async setTokenAuthMethod(app: OAuthApp, method: SecretAuthMethod) {
    return this.toApp(await this.auth.call<SupabaseClient>('PUT', `/admin/oauth/clients/${encodeURIComponent(app.id)}`, { json: { token_endpoint_auth_method: method }, what: 'setting the token endpoint authentication method' }));
  }

  async rotateSecret(app: OAuthApp) {
    const c = await this.auth.call<SupabaseClient>('POST', `/admin/oauth/clients/${encodeURIComponent(app.id)}/regenerate_secret`, { what: 'regenerating the client secret' });
    if (!c.client_secret) throw new ProviderError('supabase', 'no secret returned (public clients have none)');
    registerSecret(c.client_secret, 'client_secret', true);
    return c.client_secret;
  }

  async issuer() {
    return { issuer: `${this.projectUrl}/auth/v1`, authorizationUrl: `${this.projectUrl}/auth/v1/oauth/authorize`, tokenUrl: `${this.projectUrl}/auth/v1/oauth/token` };
  }

  readonly canPlan = true;

  /**
   * The project's OAuth 2.1 server settings (read-merge-write through PATCH /config/auth): the
   * server switch, dynamic registration (ChatGPT Apps), the authorization (consent) path, and —
   * when the consent page's URL is given (`--authorization-url`) — the Site URL it lives on.
   * What no setting changes is listed as `manual` with the reason.
   */
  async enableChatGpt(spec: AppSpec, _app?: OAuthApp, o: { dryRun?: boolean } = {}): Promise<SettingChange[]> {
    const cur = await this.mgmt.call<Record<string, unknown>>('GET', '/config/auth', { what: 'reading the auth configuration' });
    const want: Record<string, unknown> = { oauth_server_enabled: true };
    if (spec.target === 'apps') want.oauth_server_allow_dynamic_registration = true;
    let consent: URL | undefined;
    if (spec.authorizationUrl) {
      try { consent = new URL(spec.authorizationUrl); } catch { throw new ProviderError('supabase', `--authorization-url is not a URL: ${spec.authorizationUrl.slice(0, 200)}`); }
      want.site_url = consent.origin;
      want.oauth_server_authorization_path = consent.pathname;
    } else if (!cur.oauth_server_authorization_path) want.oauth_server_authorization_path = '/oauth/consent';
    const { patch, changes } = diffSettings(cur, want);
    for (const c of changes) c.fixes = SUPABASE_FIXES[c.setting];
    if (Object.keys(patch).length && !o.dryRun) await this.mgmt.call('PATCH', '/config/auth', { json: patch, what: 'enabling the OAuth 2.1 server' });
    const site = String(want.site_url ?? cur.site_url ?? '');
    const path = String(want.oauth_server_authorization_path ?? cur.oauth_server_authorization_path ?? '');
    if (!consent && (!site || site === SUPABASE_DEFAULT_SITE_URL)) {
      changes.push({ setting: 'site_url', to: 'the origin of the app that hosts your consent page', from: site || undefined, status: 'manual', note: `the consent page is the Site URL + authorization path, and the Site URL is still the default ${SUPABASE_DEFAULT_SITE_URL}: give the page's URL with --authorization-url https://<your app>${path || '/oauth/consent'}` });
    }
    changes.push({ setting: 'access token audience', to: spec.resource, status: 'manual', note: 'not a setting on Supabase: tokens always carry aud "authenticated" (the resource parameter is ignored); the MCP server must check the issuer and client_id instead of aud' });
    changes.push({ setting: 'consent page', to: `${site}${path}`, status: 'manual', note: 'the authorization (consent) page is yours to host; it calls the oauth/authorizations API with the user\'s session (supabase-js auth.oauth.approveAuthorization)' });
    return changes;
  }
}

/** The default Site URL of a Supabase project (supabase/auth example.env; provider-apis.md §4). */
const SUPABASE_DEFAULT_SITE_URL = 'http://localhost:3000';

/** The doctor's checks each setting makes pass (doctor --fix plans by them). */
const SUPABASE_FIXES: Record<string, string[]> = {
  oauth_server_enabled: ['as.metadata', 'as.client-registration', 'dcr.register'],
  oauth_server_allow_dynamic_registration: ['as.client-registration', 'dcr.register'],
  oauth_server_authorization_path: ['authz.state', 'dcr.connector-callback'],
  site_url: ['authz.state', 'dcr.connector-callback'],
};
