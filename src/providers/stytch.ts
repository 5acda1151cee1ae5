/**
 * Stytch Connected Apps (project API, HTTP Basic project_id:secret). Credentials: STYTCH_PROJECT_ID,
 * STYTCH_SECRET; location: STYTCH_API_URL (default by project id: test.stytch.com or api.stytch.com).
 * The DCR toggle and the authorization URL live in the workspace Management API or the dashboard.
 */
import type { HttpClient } from '../http/client.js';
import { registerSecret } from '../http/redact.js';
import { ProviderHttp } from './http.js';
import { apiOrigin, requireEnv } from './env.js';
import { ProviderError, type AppSpec, type OAuthApp, type ProviderAdapter, type SettingChange } from './types.js';
import { diffSettings } from './settings.js';
import { readJsonObject } from '../http/json.js';
import { safeText } from '../text.js';
import { isHttpsOrLoopback } from '../url.js';

interface ConnectedApp { client_id: string; client_name: string; client_type: string; redirect_urls?: string[]; access_token_custom_audience?: string; client_secret?: string }

export class StytchAdapter implements ProviderAdapter {
  readonly name = 'stytch' as const;
  private readonly api: ProviderHttp;
  private readonly base: string;
  private readonly projectId: string;
  private readonly mgmt?: ProviderHttp;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly http: HttpClient) {
    this.projectId = requireEnv(env, 'STYTCH_PROJECT_ID', 'the project id under Project settings, e.g. project-test-…');
    const secret = requireEnv(env, 'STYTCH_SECRET', 'a project secret under API keys');
    const def = this.projectId.startsWith('project-live-') ? 'https://api.stytch.com' : 'https://test.stytch.com';
    this.base = apiOrigin(env.STYTCH_API_URL ?? def, 'STYTCH_API_URL');
    const basic = Buffer.from(`${this.projectId}:${secret}`).toString('base64');
    this.api = new ProviderHttp({
      provider: 'stytch',
      http,
      locationVariable: 'STYTCH_API_URL',
      baseUrl: this.base,
      headers: () => ({ authorization: `Basic ${basic}` }),
      parseError: (_s, body) => {
        const b = body as { error_type?: string; error_message?: string } | undefined;
        return { code: b?.error_type, message: b?.error_message };
      },
      authHint: () => 'STYTCH_PROJECT_ID and STYTCH_SECRET were refused: use a secret of the same project and environment (test secrets for project-test-…, live for project-live-…).',
    });
    const keyId = env.STYTCH_WORKSPACE_KEY_ID;
    const keySecret = env.STYTCH_WORKSPACE_KEY_SECRET;
    if (keyId && keySecret) {
      registerSecret(keySecret, 'STYTCH_WORKSPACE_KEY_SECRET', true);
      const wbasic = Buffer.from(`${keyId}:${keySecret}`).toString('base64');
      this.mgmt = new ProviderHttp({
        provider: 'stytch',
        http,
        locationVariable: 'STYTCH_MANAGEMENT_API_URL',
        baseUrl: apiOrigin(env.STYTCH_MANAGEMENT_API_URL ?? 'https://management.stytch.com', 'STYTCH_MANAGEMENT_API_URL'),
        headers: () => ({ authorization: `Basic ${wbasic}` }),
        parseError: (_s, body) => {
          const b = body as { error_type?: string; error_message?: string } | undefined;
          return { code: b?.error_type, message: b?.error_message };
        },
        authHint: () => 'STYTCH_WORKSPACE_KEY_ID/STYTCH_WORKSPACE_KEY_SECRET were refused: create a workspace management key under Workspace settings → Management API.',
      });
    }
  }

  /** The project and environment slugs of STYTCH_PROJECT_ID, through the workspace Management API. */
  private async environment(): Promise<{ project: string; env: string; current: Record<string, unknown> }> {
    const projects = await this.mgmt!.call<{ projects: { project_slug: string }[] }>('GET', '/pwa/v3/projects', { what: 'listing workspace projects' });
    for (const p of projects.projects) {
      const envs = await this.mgmt!.call<{ environments: Record<string, unknown>[] }>('GET', `/pwa/v3/projects/${encodeURIComponent(p.project_slug)}/environments`, { what: 'listing environments' });
      const e = envs.environments.find((x) => x.project_id === this.projectId);
      if (e) return { project: p.project_slug, env: String(e.environment_slug), current: e };
    }
    throw new ProviderError('stytch', `no environment of the workspace has project id ${this.projectId}`, 404, 'not_found', 'Use workspace keys of the workspace that owns STYTCH_PROJECT_ID.');
  }

  private toApp(a: ConnectedApp): OAuthApp {
    return { id: a.client_id, clientId: a.client_id, name: a.client_name, redirectUris: a.redirect_urls ?? [], public: a.client_type.endsWith('_public') };
  }

  async checkCredentials() {
    await this.api.call('POST', '/v1/connected_apps/clients/search', { json: { limit: 1 }, what: 'listing Connected Apps', idempotent: true });
    const mgmt = this.env.STYTCH_WORKSPACE_KEY_ID && this.env.STYTCH_WORKSPACE_KEY_SECRET;
    return { account: `Stytch project ${this.projectId}`, allows: ['connected_apps', mgmt ? 'workspace management (keys present)' : 'no workspace keys: the DCR toggle is a dashboard step'] };
  }

  async findApp(ref: string): Promise<OAuthApp | undefined> {
    if (ref.startsWith('connected-app-')) {
      try {
        return this.toApp((await this.api.call<{ connected_app: ConnectedApp }>('GET', `/v1/connected_apps/clients/${encodeURIComponent(ref)}`)).connected_app);
      } catch (err) {
        if (!(err instanceof ProviderError) || err.status !== 404) throw err;
      }
    }
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const res = await this.api.call<{ connected_apps: ConnectedApp[]; results_metadata?: { next_cursor?: string | null } }>('POST', '/v1/connected_apps/clients/search', {
        json: cursor ? { limit: 1000, cursor } : { limit: 1000 }, what: 'searching Connected Apps', idempotent: true,
      });
      const hit = res.connected_apps.find((a) => a.client_id === ref || a.client_name === ref);
      if (hit) return this.toApp(hit);
      cursor = res.results_metadata?.next_cursor ?? undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  async createApp(spec: AppSpec) {
    const res = await this.api.call<{ connected_app: ConnectedApp }>('POST', '/v1/connected_apps/clients', {
      what: 'creating the Connected App',
      json: {
        // GPT Actions: confidential; ChatGPT Apps with a predefined client: public with PKCE.
        client_type: spec.target === 'actions' ? 'third_party' : 'third_party_public',
        client_name: spec.name,
        redirect_urls: spec.redirectUris,
        ...(spec.resource ? { access_token_custom_audience: spec.resource } : {}),
      },
    });
    const secret = res.connected_app.client_secret;
    if (secret) registerSecret(secret, 'client_secret', true);
    return { app: this.toApp(res.connected_app), clientSecret: secret };
  }

  async setRedirectUris(app: OAuthApp, uris: string[]) {
    const res = await this.api.call<{ connected_app: ConnectedApp }>('PUT', `/v1/connected_apps/clients/${encodeURIComponent(app.id)}`, { json: { redirect_urls: uris }, what: 'updating the redirect URLs' });
    return this.toApp(res.connected_app);
  }

  async rotateSecret(app: OAuthApp) {
    const start = await this.api.call<{ connected_app?: { next_client_secret?: string } }>('POST', `/v1/connected_apps/clients/${encodeURIComponent(app.id)}/secrets/rotate/start`, { json: {}, what: 'starting the secret rotation' });
    const next = start.connected_app?.next_client_secret;
    if (!next) throw new ProviderError('stytch', 'the new secret was not returned');
    registerSecret(next, 'client_secret', true);
    await this.api.call('POST', `/v1/connected_apps/clients/${encodeURIComponent(app.id)}/secrets/rotate`, { json: {}, what: 'completing the secret rotation' });
    return next;
  }

  // Stytch's authorization_endpoint is a page the user's app hosts (the Connected Apps
  // "authorization URL"), so it is known only from STYTCH_AUTHORIZATION_URL or --authorization-url.
  async issuer() {
    const domain = this.env.STYTCH_DOMAIN;
    if (domain) {
      const issuer = apiOrigin(domain, 'STYTCH_DOMAIN');
      return { issuer, authorizationUrl: this.env.STYTCH_AUTHORIZATION_URL, tokenUrl: `${issuer}/v1/oauth2/token` };
    }
    // Without STYTCH_DOMAIN: the issuer the project's own discovery document names, when that
    // issuer's discovery names it too; otherwise none is written (the legacy path's document names
    // `stytch.com/<project id>`, no URL, which no client can match).
    const legacy = `${this.base}/v1/public/${this.projectId}`;
    const legacyDoc = await this.discovery(legacy);
    const named = typeof legacyDoc?.issuer === 'string' ? legacyDoc.issuer : undefined;
    let url: URL | undefined;
    try { url = named ? new URL(named) : undefined; } catch { url = undefined; }
    if (named && url && isHttpsOrLoopback(url)) {
      const own = named.replace(/\/$/, '') === legacy ? legacyDoc : await this.discovery(named);
      if (own?.issuer === named) {
        const token = typeof own.token_endpoint === 'string' ? own.token_endpoint : `${named.replace(/\/$/, '')}/v1/oauth2/token`;
        return { issuer: named, authorizationUrl: this.env.STYTCH_AUTHORIZATION_URL, tokenUrl: token };
      }
    }
    const said = !legacyDoc ? 'could not be read' : named ? `names the issuer "${safeText(named, 120)}"${url && isHttpsOrLoopback(url) ? ', whose own discovery document does not name it back' : ', which is not a URL'}` : 'names no issuer';
    throw new ProviderError('stytch', `the issuer is unknown without STYTCH_DOMAIN: the discovery document at ${legacy}/.well-known/openid-configuration ${said}; gpt-oauth writes no issuer that discovery contradicts`, undefined, 'stytch_domain_needed',
      'Set STYTCH_DOMAIN to the project domain (Project settings → Project domain, e.g. https://cname-word-1234.customers.stytch.dev, or your custom domain) and run the command again.');
  }

  /** A discovery document under `base`, or undefined when it is not a JSON object (bounded by the client). */
  private async discovery(base: string): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await this.http.send({ method: 'GET', url: `${base.replace(/\/$/, '')}/.well-known/openid-configuration` });
      const j = res.status === 200 ? readJsonObject(res, false) : undefined;
      return j?.ok ? j.value : undefined;
    } catch {
      return undefined;
    }
  }

  readonly canPlan = true;

  /**
   * The environment's Connected Apps settings through the workspace Management API (read-merge-
   * write): dynamic registration (ChatGPT Apps) and the authorization URL — the page of the
   * user's app that renders Stytch's IdentityProvider component (`--authorization-url`). With an
   * app (GPT Actions, a predefined client) its token audience too. `dryRun` only reads.
   */
  async enableChatGpt(spec: AppSpec, app?: OAuthApp, o: { dryRun?: boolean } = {}): Promise<SettingChange[]> {
    const changes: SettingChange[] = [];
    if (app && spec.resource) {
      const cur = (await this.api.call<{ connected_app: ConnectedApp }>('GET', `/v1/connected_apps/clients/${encodeURIComponent(app.id)}`)).connected_app;
      if (cur.access_token_custom_audience === spec.resource) changes.push({ setting: 'access_token_custom_audience', to: spec.resource, status: 'already' });
      else {
        if (!o.dryRun) await this.api.call('PUT', `/v1/connected_apps/clients/${encodeURIComponent(app.id)}`, { json: { access_token_custom_audience: spec.resource }, what: 'setting the token audience' });
        changes.push({ setting: 'access_token_custom_audience', from: cur.access_token_custom_audience, to: spec.resource, status: 'changed', note: 'by default Stytch tokens carry the project id as audience' });
      }
    } else if (spec.target === 'apps') {
      changes.push({ setting: 'access token audience', to: 'the project id', status: 'manual', note: 'clients ChatGPT registers itself get the project id as aud (a custom audience is per Connected App); the MCP server must check the issuer, aud = the project id, and the client_id' });
    }
    const dashboardUrl = 'https://stytch.com/dashboard/connected-apps';
    const want: Record<string, unknown> = {};
    if (spec.target === 'apps') want.idp_dynamic_client_registration_enabled = true;
    if (spec.authorizationUrl) want.idp_authorization_url = spec.authorizationUrl;
    if (!this.mgmt) {
      if (spec.target === 'apps') changes.push({ setting: 'Dynamic Client Registration', to: true, status: 'manual', dashboardUrl, note: 'turn it on under Connected Apps, or set STYTCH_WORKSPACE_KEY_ID and STYTCH_WORKSPACE_KEY_SECRET so gpt-oauth can' });
      changes.push({ setting: 'authorization URL', to: spec.authorizationUrl ?? 'your app\'s consent page', status: 'manual', dashboardUrl, note: 'Stytch sends users to a page your app hosts (Stytch\'s IdentityProvider component); set STYTCH_WORKSPACE_KEY_ID and STYTCH_WORKSPACE_KEY_SECRET so gpt-oauth can set it' });
      return changes;
    }
    if (!Object.keys(want).length) return changes;
    const { project, env, current } = await this.environment();
    const diff = diffSettings(current, want);
    for (const c of diff.changes) c.fixes = STYTCH_FIXES[c.setting];
    changes.push(...diff.changes);
    if (Object.keys(diff.patch).length && !o.dryRun) await this.mgmt.call('PATCH', `/pwa/v3/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(env)}`, { json: diff.patch, what: 'updating the environment\'s Connected Apps settings' });
    if (!spec.authorizationUrl && !current.idp_authorization_url) changes.push({ setting: 'idp_authorization_url', to: 'your app\'s IdentityProvider page', status: 'manual', dashboardUrl, note: 'Stytch sends users to a page your app hosts (Stytch\'s IdentityProvider component); give its URL with --authorization-url so gpt-oauth can set it' });
    return changes;
  }
}

/** The doctor's checks each environment setting makes pass (doctor --fix plans by them). */
const STYTCH_FIXES: Record<string, string[]> = {
  idp_dynamic_client_registration_enabled: ['as.client-registration', 'dcr.register'],
  idp_authorization_url: ['as.endpoints', 'authz.state', 'dcr.connector-callback'],
};
