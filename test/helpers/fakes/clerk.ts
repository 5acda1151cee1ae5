/** Clerk Backend API fake (OAuth applications, instance OAuth settings, domains). */
import { randomBytes } from 'node:crypto';
import { loadFixture, ProviderFake } from '../provider-fake.js';
import { tenantAuthorizationServer, type TenantAs, type TenantProfile } from './auth0-tenant.js';

export const CLERK_KEY = 'sk_test_fakeClerkSecretKey0123456789';

export interface ClerkState {
  apps: Map<string, Record<string, unknown>>;
  settings: Record<string, unknown>;
}

const id = (p: string) => `${p}_${randomBytes(12).toString('hex')}`;

/**
 * Clerk's authorization server as the instance settings make it (for `doctor --fix`): dynamic
 * registration only when `dynamic_oauth_client_registration` is on, JWT access tokens only with
 * `oauth_jwt_access_tokens` (else opaque `oat_…` tokens), no `aud` claim, S256 only, no `iss`.
 */
function clerkProfile(state: ClerkState): TenantProfile {
  const dynamic = new Map<string, { clientId: string; secret?: string; redirectUris: string[]; public: boolean; thirdParty: boolean }>();
  return {
    issuer: (origin) => origin,
    paths: { authorize: '/oauth/authorize', token: '/oauth/token', register: '/oauth/register' },
    dcr: () => state.settings.dynamic_oauth_client_registration === true,
    client: (cid) => {
      const a = [...state.apps.values()].find((x) => x.client_id === cid);
      return a ? { clientId: cid, secret: a.client_secret as string | undefined, redirectUris: a.redirect_uris as string[], public: a.public === true, thirdParty: false } : dynamic.get(cid);
    },
    addClient: (c) => { dynamic.set(c.clientId, { clientId: c.clientId, secret: c.secret, redirectUris: c.redirectUris, public: c.method === 'none', thirdParty: true }); },
    signInRefused: () => undefined,
    audience: () => ({}),
    tokenKind: () => (state.settings.oauth_jwt_access_tokens === true ? 'jwt' : 'opaque'),
    iss: () => false,
    pkceMethods: ['S256'],
  };
}

/** With `tenant`, the fake is also the instance's Frontend API (its issuer) and serves the authorization server. */
export async function startClerkFake(o: { tenant?: boolean } = {}): Promise<{ fake: ProviderFake; state: ClerkState; env: Record<string, string>; tenant?: TenantAs; issuer: string }> {
  const state: ClerkState = {
    apps: new Map(),
    settings: { object: 'oauth_application_settings', dynamic_oauth_client_registration: false, oauth_jwt_access_tokens: false, default_scopes: [], client_id_metadata_documents_advertised: false, client_id_metadata_documents_only_allow_pre_registered_clients: false, client_id_metadata_documents_block_implicitly_allowed_clients: false },
  };
  let fapi = 'https://clean-fox-42.clerk.accounts.dev';
  let tenant: TenantAs | undefined;
  const err = (status: number, code: string, message: string) => ({ errors: [{ code, message, long_message: message, meta: {} }], clerk_trace_id: 'trace' });
  const view = (a: Record<string, unknown>) => {
    const { client_secret: _s, ...rest } = a;
    return rest;
  };
  const fake = new ProviderFake({
    fixtures: [{ fixture: loadFixture('clerk'), prefix: '/v1' }],
    authorize: (h) => h.authorization === `Bearer ${CLERK_KEY}`,
    error: err,
    extra: (req, res, url, body) => tenant?.handle(req, res, url, body) ?? false,
    handlers: {
      'GET /oauth_applications': ({ query }) => {
        const q = (query.get('name_query') ?? '').toLowerCase();
        const all = [...state.apps.values()].filter((a) => !q || String(a.name).toLowerCase().includes(q) || a.client_id === query.get('name_query'));
        const offset = Number(query.get('offset') ?? 0);
        const limit = Number(query.get('limit') ?? 10);
        return { status: 200, body: { data: all.slice(offset, offset + limit).map(view), total_count: all.length } };
      },
      'POST /oauth_applications': ({ body }) => {
        const now = Date.now();
        const appId = id('oa');
        const clientId = randomBytes(8).toString('hex');
        const isPublic = !!body.public;
        const app: Record<string, unknown> = {
          object: 'oauth_application', id: appId, instance_id: 'ins_fake', name: body.name, client_id: clientId,
          client_uri: null, client_image_url: null, dynamically_registered: false,
          consent_screen_enabled: body.consent_screen_enabled ?? true, pkce_required: body.pkce_required ?? false, public: isPublic,
          scopes: body.scopes ?? 'profile email', redirect_uris: body.redirect_uris ?? [], callback_url: '',
          authorize_url: `${fapi}/oauth/authorize`, token_fetch_url: `${fapi}/oauth/token`, user_info_url: `${fapi}/oauth/userinfo`,
          discovery_url: `${fapi}/.well-known/openid-configuration`, token_introspection_url: `${fapi}/oauth/token_info`,
          created_at: now, updated_at: now, client_secret: isPublic ? '' : `clerk_secret_${randomBytes(16).toString('hex')}`,
        };
        state.apps.set(appId, app);
        return { status: 200, body: app };
      },
      'GET /oauth_applications/{oauth_application_id}': ({ params }) => {
        const a = state.apps.get(params.oauth_application_id!);
        return a ? { status: 200, body: view(a) } : { status: 404, body: err(404, 'resource_not_found', 'not found') };
      },
      'PATCH /oauth_applications/{oauth_application_id}': ({ params, body }) => {
        const a = state.apps.get(params.oauth_application_id!);
        if (!a) return { status: 404, body: err(404, 'resource_not_found', 'not found') };
        for (const [k, v] of Object.entries(body)) if (v !== null) a[k] = v;
        a.updated_at = Date.now();
        return { status: 200, body: view(a) };
      },
      'DELETE /oauth_applications/{oauth_application_id}': ({ params }) => {
        state.apps.delete(params.oauth_application_id!);
        return { status: 200, body: { object: 'oauth_application', id: params.oauth_application_id, deleted: true } };
      },
      'POST /oauth_applications/{oauth_application_id}/rotate_secret': ({ params }) => {
        const a = state.apps.get(params.oauth_application_id!);
        if (!a) return { status: 404, body: err(404, 'resource_not_found', 'not found') };
        a.client_secret = `clerk_secret_${randomBytes(16).toString('hex')}`;
        return { status: 200, body: a };
      },
      'GET /instance/oauth_application_settings': () => ({ status: 200, body: state.settings }),
      'PATCH /instance/oauth_application_settings': ({ body }) => {
        Object.assign(state.settings, body);
        return { status: 200, body: state.settings };
      },
      'GET /domains': () => ({
        status: 200,
        body: { data: [{ object: 'domain', id: 'dmn_fake', name: 'clean-fox-42.clerk.accounts.dev', is_satellite: false, frontend_api_url: fapi, development_origin: '', cname_targets: [] }], total_count: 1 },
      }),
    },
  });
  if (o.tenant) tenant = await tenantAuthorizationServer(clerkProfile(state), () => fake.origin);
  await fake.start();
  if (o.tenant) fapi = fake.origin;
  return { fake, state, tenant, issuer: fapi, env: { CLERK_SECRET_KEY: CLERK_KEY, CLERK_API_URL: fake.origin } };
}
