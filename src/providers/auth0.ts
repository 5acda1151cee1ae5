/**
 * Auth0 Management API v2. Credentials: AUTH0_DOMAIN plus AUTH0_CLIENT_ID + AUTH0_CLIENT_SECRET of a
 * machine-to-machine app (client credentials), or AUTH0_MANAGEMENT_TOKEN. AUTH0_DOMAIN may be a full
 * http://127.0.0.1:PORT origin for loopback tests.
 */
import type { HttpClient } from '../http/client.js';
import { registerSecret } from '../http/redact.js';
import { UsageError } from '../errors.js';
import { ProviderHttp } from './http.js';
import { apiOrigin, requireEnv } from './env.js';
import { ProviderError, type AppSpec, type OAuthApp, type ProviderAdapter, type SecretAuthMethod, type SettingChange } from './types.js';
import { parseJson } from '../http/json.js';
import { safeText } from '../text.js';

interface Auth0Client { client_id: string; name: string; callbacks?: string[]; token_endpoint_auth_method?: string | null; client_secret?: string }

const SCOPES = 'create:clients read:clients update:clients update:client_keys create:resource_servers read:resource_servers create:client_grants read:client_grants read:tenant_settings update:tenant_settings';

/** Which doctor checks each tenant setting makes pass (doctor --fix plans by them). */
const DCR_CHECKS = ['as.client-registration', 'dcr.register'];
const AUDIENCE_CHECKS = ['token.audience', 'resource.accepts-token', 'authz.scope-omitted', 'token.jwt-signature'];
const SIGN_IN_CHECKS = ['authz.state', 'dcr.connector-callback'];
const ISS_CHECKS = ['authz.iss', 'dcr.connector-callback'];

/** Several Auth0 connections and none named: exit 2 listing them (init asks in a terminal). */
export class ConnectionChoiceNeeded extends UsageError {
  constructor(readonly names: string[]) {
    super(`this Auth0 tenant has ${names.length} login connections (${names.map((n) => safeText(n, 80)).join(', ')}); DCR clients can use only domain-level ones`, 'Name the one your users sign in with: --connection NAME.');
  }
}

export class Auth0Adapter implements ProviderAdapter {
  readonly name = 'auth0' as const;
  readonly canPlan = true;
  private readonly api: ProviderHttp;
  private readonly origin: string;
  private token?: string;

  constructor(env: NodeJS.ProcessEnv, private readonly http: HttpClient) {
    this.origin = apiOrigin(requireEnv(env, 'AUTH0_DOMAIN', 'your tenant domain, e.g. acme.us.auth0.com'), 'AUTH0_DOMAIN');
    const given = env.AUTH0_MANAGEMENT_TOKEN;
    const id = env.AUTH0_CLIENT_ID;
    const secret = env.AUTH0_CLIENT_SECRET;
    if (given) {
      registerSecret(given, 'AUTH0_MANAGEMENT_TOKEN', true);
      this.token = given;
    } else if (!id || !secret) {
      throw new UsageError('missing AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET (a machine-to-machine app authorised for the Management API), or AUTH0_MANAGEMENT_TOKEN');
    } else {
      registerSecret(secret, 'AUTH0_CLIENT_SECRET', true);
    }
    const tokenFor = async () => (this.token ??= await this.clientCredentials(id!, secret!));
    this.api = new ProviderHttp({
      provider: 'auth0',
      http,
      locationVariable: 'AUTH0_DOMAIN',
      baseUrl: `${this.origin}/api/v2`,
      headers: async () => ({ authorization: `Bearer ${await tokenFor()}` }),
      parseError: (_s, body) => {
        const b = body as { errorCode?: string; message?: string; error?: string } | undefined;
        return { code: b?.errorCode ?? b?.error, message: b?.message };
      },
      authHint: (status, code) => status === 403 || code === 'insufficient_scope'
        ? `The machine-to-machine app lacks a Management API scope; authorise it for: ${SCOPES} (Applications → APIs → Auth0 Management API → Machine to Machine Applications).`
        : 'The Management API token was refused: check AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET (or AUTH0_MANAGEMENT_TOKEN) and AUTH0_DOMAIN.',
    });
  }

  private async clientCredentials(clientId: string, clientSecret: string): Promise<string> {
    const res = await this.http.send({
      method: 'POST', url: `${this.origin}/oauth/token`,
      json: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience: `${this.origin}/api/v2/` },
      rateLimit: 'return',
    });
    let body: { access_token?: string; error?: string; error_description?: string } = {};
    try { body = parseJson(res.text()) as typeof body; } catch { /* handled below */ }
    if (res.status !== 200 || !body.access_token) {
      throw new ProviderError('auth0', `getting a Management API token failed: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`.trim(), res.status, body.error,
        'Check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET of a machine-to-machine app authorised for the Auth0 Management API.');
    }
    registerSecret(body.access_token, 'auth0 management token', true);
    return body.access_token;
  }

  private toApp(c: Auth0Client): OAuthApp {
    return { id: c.client_id, clientId: c.client_id, name: c.name, redirectUris: c.callbacks ?? [], public: c.token_endpoint_auth_method === 'none', tokenAuthMethod: c.token_endpoint_auth_method ?? null };
  }

  async checkCredentials() {
    const s = await this.api.call<{ flags?: Record<string, boolean> }>('GET', '/tenants/settings', { what: 'reading the tenant settings' });
    return { account: `Auth0 tenant ${new URL(this.origin).hostname}`, allows: ['clients', 'tenant settings', `DCR ${s.flags?.enable_dynamic_client_registration ? 'on' : 'off'}`] };
  }

  async findApp(ref: string): Promise<OAuthApp | undefined> {
    try {
      return this.toApp(await this.api.call<Auth0Client>('GET', `/clients/${encodeURIComponent(ref)}`, { query: { fields: 'client_id,name,callbacks,token_endpoint_auth_method', include_fields: true } }));
    } catch (err) {
      if (!(err instanceof ProviderError) || (err.status !== 404 && err.status !== 400)) throw err;
    }
    for (let page = 0; page < 100; page++) {
      const res = await this.api.call<{ clients: Auth0Client[]; total: number }>('GET', '/clients', {
        query: { fields: 'client_id,name,callbacks,token_endpoint_auth_method', include_fields: true, page, per_page: 100, include_totals: true },
        what: 'listing applications',
      });
      const hit = res.clients.find((c) => c.name === ref);
      if (hit) return this.toApp(hit);
      if ((page + 1) * 100 >= res.total || res.clients.length === 0) return undefined;
    }
    return undefined;
  }

  async createApp(spec: AppSpec) {
    const actions = spec.target === 'actions';
    const c = await this.api.call<Auth0Client>('POST', '/clients', {
      what: 'creating the application',
      json: {
        name: spec.name,
        // GPT Actions: a confidential regular web app posting its secret ("Default (POST request)").
        app_type: actions ? 'regular_web' : 'native',
        token_endpoint_auth_method: actions ? 'client_secret_post' : 'none',
        callbacks: spec.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        oidc_conformant: true,
      },
    });
    if (c.client_secret) registerSecret(c.client_secret, 'client_secret', true);
    return { app: this.toApp(c), clientSecret: actions ? c.client_secret : undefined };
  }

  async setRedirectUris(app: OAuthApp, uris: string[]) {
    return this.toApp(await this.api.call<Auth0Client>('PATCH', `/clients/${encodeURIComponent(app.id)}`, { json: { callbacks: uris }, what: 'updating the allowed callback URLs' }));
  }

  /** The application's Token Endpoint Authentication Method ("Post" or "Basic" in the dashboard). */
  async setTokenAuthMethod(app: OAuthApp, method: SecretAuthMethod) {
    return this.toApp(await this.api.call<Auth0Client>('PATCH', `/clients/${encodeURIComponent(app.id)}`, { json: { token_endpoint_auth_method: method }, what: 'setting the token endpoint authentication method' }));
  }

  async rotateSecret(app: OAuthApp) {
    const c = await this.api.call<Auth0Client>('POST', `/clients/${encodeURIComponent(app.id)}/rotate-secret`, { what: 'rotating the client secret' });
    if (!c.client_secret) throw new ProviderError('auth0', 'the rotated secret was not returned');
    registerSecret(c.client_secret, 'client_secret', true);
    return c.client_secret;
  }

  async issuer() {
    // Auth0's issuer keeps its trailing slash; copy it verbatim into authorization_servers.
    return { issuer: `${this.origin}/`, authorizationUrl: `${this.origin}/authorize`, tokenUrl: `${this.origin}/oauth/token` };
  }

  async enableChatGpt(spec: AppSpec, _app?: OAuthApp, o: { dryRun?: boolean } = {}): Promise<SettingChange[]> {
    const changes: SettingChange[] = [];
    const write = !o.dryRun;
    // Which login connection DCR clients will use is settled before anything changes.
    const connection = spec.target === 'apps' ? await this.chooseConnection(spec.connection) : undefined;
    if (spec.resource) {
      const found = await this.api.call<{ identifier: string }[] | { resource_servers: { identifier: string }[] }>('GET', '/resource-servers', { query: { identifiers: spec.resource }, what: 'looking for the API' });
      const list = Array.isArray(found) ? found : found.resource_servers;
      if (list.some((r) => r.identifier === spec.resource)) changes.push({ setting: 'API (resource server)', to: spec.resource, status: 'already', fixes: AUDIENCE_CHECKS });
      else {
        if (write) await this.api.call('POST', '/resource-servers', {
          what: 'creating the API',
          json: { name: `ChatGPT ${new URL(spec.resource).host}`, identifier: spec.resource, signing_alg: 'RS256', allow_offline_access: true, token_lifetime: 3600 },
        });
        changes.push({ setting: 'API (resource server)', to: spec.resource, status: 'changed', note: 'its identifier is the audience of the tokens', fixes: AUDIENCE_CHECKS });
      }
    }
    if (spec.target === 'apps') {
      const s = await this.api.call<{ flags?: Record<string, boolean>; resource_parameter_profile?: string; authorization_response_iss_parameter_supported?: boolean }>('GET', '/tenants/settings', { what: 'reading the tenant settings' });
      const patch: Record<string, unknown> = {};
      if (s.flags?.enable_dynamic_client_registration !== true) {
        patch.flags = { enable_dynamic_client_registration: true };
        changes.push({ setting: 'flags.enable_dynamic_client_registration', from: s.flags?.enable_dynamic_client_registration ?? false, to: true, status: 'changed', fixes: DCR_CHECKS });
      } else changes.push({ setting: 'flags.enable_dynamic_client_registration', to: true, status: 'already', fixes: DCR_CHECKS });
      if (s.resource_parameter_profile !== 'compatibility') {
        patch.resource_parameter_profile = 'compatibility';
        changes.push({ setting: 'resource_parameter_profile', from: s.resource_parameter_profile ?? 'audience', to: 'compatibility', status: 'changed', note: 'so ChatGPT\'s resource parameter selects the API', fixes: AUDIENCE_CHECKS });
      } else changes.push({ setting: 'resource_parameter_profile', to: 'compatibility', status: 'already', fixes: AUDIENCE_CHECKS });
      // RFC 9207 iss in authorization responses: ChatGPT then uses its stable callback instead of
      // a per-connector one (chatgpt-requirements.md, Aug 2026).
      if (s.authorization_response_iss_parameter_supported !== true) {
        patch.authorization_response_iss_parameter_supported = true;
        changes.push({ setting: 'authorization_response_iss_parameter_supported', from: s.authorization_response_iss_parameter_supported ?? false, to: true, status: 'changed', note: 'iss in authorization responses (RFC 9207): ChatGPT uses its stable callback', fixes: ISS_CHECKS });
      } else changes.push({ setting: 'authorization_response_iss_parameter_supported', to: true, status: 'already', fixes: ISS_CHECKS });
      if (write && Object.keys(patch).length) await this.api.call('PATCH', '/tenants/settings', { json: patch, what: 'updating the tenant settings' });
      if (spec.resource) {
        const grants = await this.api.call<{ default_for?: string; audience: string }[] | { client_grants: { default_for?: string; audience: string }[] }>('GET', '/client-grants', { query: { audience: spec.resource, default_for: 'third_party_clients' }, what: 'reading client grants' });
        const list = Array.isArray(grants) ? grants : grants.client_grants;
        if (list.some((g) => g.default_for === 'third_party_clients' && g.audience === spec.resource)) changes.push({ setting: 'client grant for third-party (DCR) clients', to: spec.resource, status: 'already', fixes: SIGN_IN_CHECKS });
        else {
          if (write) await this.api.call('POST', '/client-grants', { json: { audience: spec.resource, default_for: 'third_party_clients', scope: [], subject_type: 'user' }, what: 'granting DCR clients access to the API' });
          changes.push({ setting: 'client grant for third-party (DCR) clients', to: spec.resource, status: 'changed', fixes: SIGN_IN_CHECKS });
        }
      }
      changes.push({ ...await this.promoteConnection(connection, write), fixes: SIGN_IN_CHECKS });
    }
    return changes;
  }

  /**
   * DCR clients can only use domain-level connections: with exactly one connection in the
   * tenant it is the one; with several, one already at domain level is kept; otherwise the user
   * names it (`--connection NAME`; init asks in a terminal) — a usage error before any change.
   */
  private async chooseConnection(named?: string): Promise<string | undefined> {
    if (named) return named;
    const all = await this.api.call<{ id: string; name: string; is_domain_connection?: boolean }[]>('GET', '/connections', { query: { fields: 'id,name,is_domain_connection', include_fields: true }, what: 'listing the login connections' });
    if (all.length === 1) return all[0]!.name;
    const promoted = all.find((c) => c.is_domain_connection);
    if (promoted) return promoted.name;
    if (!all.length) return undefined;
    throw new ConnectionChoiceNeeded(all.map((c) => c.name));
  }

  /** DCR (third-party) clients can only use domain-level connections. */
  private async promoteConnection(name: string | undefined, write = true): Promise<SettingChange> {
    const setting = 'domain-level login connection';
    const dashboardUrl = 'https://manage.auth0.com/#/connections';
    if (!name) return { setting, to: true, status: 'manual', dashboardUrl, note: 'DCR clients can only use domain-level connections: enable "Promote Connection to Domain Level" on the connection your users sign in with (or name it so gpt-oauth can)' };
    const found = await this.api.call<{ id: string; name: string; is_domain_connection?: boolean }[]>('GET', '/connections', { query: { name, fields: 'id,name,is_domain_connection', include_fields: true }, what: 'looking up the connection' });
    const c = found.find((x) => x.name === name);
    if (!c) throw new ProviderError('auth0', `no connection named "${name}" in the tenant`, 404, 'inexistent_connection', 'Check Authentication → Database / Social for the exact connection name (e.g. Username-Password-Authentication, google-oauth2).');
    if (c.is_domain_connection) return { setting: `${setting} (${name})`, to: true, status: 'already' };
    if (write) await this.api.call('PATCH', `/connections/${encodeURIComponent(c.id)}`, { json: { is_domain_connection: true }, what: 'promoting the connection to domain level' });
    return { setting: `${setting} (${name})`, from: false, to: true, status: 'changed' };
  }
}
