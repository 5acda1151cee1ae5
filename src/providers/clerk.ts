/**
 * Clerk Backend API: OAuth applications and the instance's OAuth application settings.
 * Credentials: CLERK_SECRET_KEY; location: CLERK_API_URL (default https://api.clerk.com).
 */
import type { HttpClient } from '../http/client.js';
import { ProviderHttp } from './http.js';
import { apiOrigin, requireEnv } from './env.js';
import { ProviderError, type AppSpec, type OAuthApp, type ProviderAdapter, type SettingChange } from './types.js';
import { diffSettings } from './settings.js';

interface ClerkApp {
  id: string; client_id: string; name: string; redirect_uris?: string[] | null; public?: boolean;
  discovery_url?: string; client_secret?: string;
}

export class ClerkAdapter implements ProviderAdapter {
  readonly name = 'clerk' as const;
  readonly canPlan = true;
  private readonly api: ProviderHttp;

  constructor(env: NodeJS.ProcessEnv, http: HttpClient) {
    const key = requireEnv(env, 'CLERK_SECRET_KEY', 'the secret key under API Keys in the Clerk dashboard');
    this.api = new ProviderHttp({
      provider: 'clerk',
      http,
      locationVariable: 'CLERK_API_URL',
      baseUrl: `${apiOrigin(env.CLERK_API_URL ?? 'https://api.clerk.com', 'CLERK_API_URL')}/v1`,
      headers: () => ({ authorization: `Bearer ${key}` }),
      parseError: (_s, body) => {
        const e = (body as { errors?: { code?: string; long_message?: string; message?: string }[] })?.errors?.[0];
        return { code: e?.code, message: e?.long_message ?? e?.message };
      },
      authHint: () => 'CLERK_SECRET_KEY is missing, revoked or belongs to another instance: copy the secret key (sk_test_… or sk_live_…) from Configure → API Keys.',
    });
  }

  private toApp(a: ClerkApp): OAuthApp {
    return { id: a.id, clientId: a.client_id, name: a.name, redirectUris: a.redirect_uris ?? [], public: !!a.public };
  }

  async checkCredentials() {
    const s = await this.api.call<{ dynamic_oauth_client_registration?: boolean }>('GET', '/instance/oauth_application_settings', { what: 'reading the instance OAuth settings' });
    return { account: 'Clerk instance', allows: ['oauth_applications', `instance settings (DCR ${s.dynamic_oauth_client_registration ? 'on' : 'off'})`] };
  }

  async findApp(ref: string): Promise<OAuthApp | undefined> {
    if (/^oa_/.test(ref)) {
      try {
        return this.toApp(await this.api.call<ClerkApp>('GET', `/oauth_applications/${encodeURIComponent(ref)}`));
      } catch (err) {
        if (err instanceof ProviderError && err.status === 404) return undefined;
        throw err;
      }
    }
    // name_query matches names partially and client ids exactly; keep exact matches only.
    for (let offset = 0; ; offset += 100) {
      const page = await this.api.call<{ data: ClerkApp[]; total_count: number }>('GET', '/oauth_applications', { query: { name_query: ref, limit: 100, offset }, what: 'listing OAuth applications' });
      const hit = page.data.find((a) => a.client_id === ref || a.name === ref);
      if (hit) return this.toApp(hit);
      if (offset + page.data.length >= page.total_count || page.data.length === 0) return undefined;
    }
  }

  async createApp(spec: AppSpec) {
    const a = await this.api.call<ClerkApp>('POST', '/oauth_applications', {
      what: 'creating the OAuth application',
      json: {
        name: spec.name,
        redirect_uris: spec.redirectUris,
        scopes: (spec.scopes ?? ['profile', 'email']).join(' '),
        public: spec.target === 'apps',
        // GPT Actions cannot send PKCE; public connector clients must use it.
        pkce_required: spec.target === 'apps',
        consent_screen_enabled: true,
      },
    });
    return { app: this.toApp(a), clientSecret: a.client_secret || undefined };
  }

  async setRedirectUris(app: OAuthApp, uris: string[]) {
    const a = await this.api.call<ClerkApp>('PATCH', `/oauth_applications/${encodeURIComponent(app.id)}`, { json: { redirect_uris: uris }, what: 'updating the redirect URIs' });
    return this.toApp(a);
  }

  async rotateSecret(app: OAuthApp) {
    const a = await this.api.call<ClerkApp>('POST', `/oauth_applications/${encodeURIComponent(app.id)}/rotate_secret`, { what: 'rotating the client secret' });
    if (!a.client_secret) throw new ProviderError('clerk', 'the rotated secret was not returned (public applications have none)');
    return a.client_secret;
  }

  async issuer() {
    const d = await this.api.call<{ data: { frontend_api_url?: string }[] }>('GET', '/domains', { what: 'reading the instance domains' });
    const fapi = d.data.find((x) => x.frontend_api_url)?.frontend_api_url;
    if (!fapi) throw new ProviderError('clerk', 'the instance has no Frontend API domain');
    const issuer = fapi.replace(/\/$/, '');
    return { issuer, authorizationUrl: `${issuer}/oauth/authorize`, tokenUrl: `${issuer}/oauth/token` };
  }

  async enableChatGpt(spec: AppSpec, _app?: OAuthApp, o: { dryRun?: boolean } = {}): Promise<SettingChange[]> {
    if (spec.target !== 'apps') return [];
    const current = await this.api.call<Record<string, unknown>>('GET', '/instance/oauth_application_settings', { what: 'reading the instance OAuth settings' });
    const want = { dynamic_oauth_client_registration: true, oauth_jwt_access_tokens: true };
    const { patch, changes: diff } = diffSettings(current, want);
    // Which doctor checks each setting makes pass (doctor --fix plans by them).
    const fixes: Record<string, string[]> = {
      dynamic_oauth_client_registration: ['as.client-registration', 'dcr.register'],
      oauth_jwt_access_tokens: ['token.jwt-signature', 'resource.accepts-token', 'authz.scope-omitted'],
    };
    const changes: SettingChange[] = diff.map((c) => ({ ...c, fixes: fixes[c.setting] }));
    if (!o.dryRun && Object.keys(patch).length) await this.api.call('PATCH', '/instance/oauth_application_settings', { json: patch, what: 'enabling dynamic registration and JWT access tokens' });
    changes.push({ setting: 'access token audience', to: spec.resource, status: 'manual', note: 'Clerk access tokens carry no aud claim; the MCP server must check iss and the token\'s client instead' });
    return changes;
  }
}
