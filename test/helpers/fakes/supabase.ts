/**
 * Supabase fakes: the Management API (auth config, API keys) and a project's Auth admin API
 * (OAuth clients; update is PUT; at most 10 redirect URIs) on one loopback origin.
 */
import { randomBytes } from 'node:crypto';
import { loadFixture, ProviderFake } from '../provider-fake.js';
import { supabaseAuthServer, type SupabaseAs } from './supabase-tenant.js';

const SUPABASE = { token: 'sbp_fakeAccessToken0123456789abcdef', ref: 'abcdefghijklmnopqrst', serviceKey: 'sb_secret_fakeServiceKey0123456789' };

/** A value of the documented type for every property (the response schema requires them all). */
function defaults(schema: { properties?: Record<string, { type?: string; nullable?: boolean }> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema.properties ?? {})) {
    out[k] = p.nullable ? null : p.type === 'boolean' ? false : p.type === 'integer' || p.type === 'number' ? 0 : p.type === 'array' ? [] : p.type === 'object' ? {} : '';
  }
  return out;
}

/**
 * `tenant`: the project's OAuth 2.1 server on the same origin follows the auth configuration
 * (supabase-tenant.ts); its Site URL starts as the default http://localhost:3000.
 */
export async function startSupabaseFake(o: { tenant?: boolean; registrationLimit?: number } = {}): Promise<{ fake: ProviderFake; state: { config: Record<string, unknown>; clients: Map<string, Record<string, unknown>> }; env: Record<string, string>; tenant?: SupabaseAs }> {
  const mgmt = loadFixture('supabase-management');
  const authSpec = loadFixture('supabase-auth');
  const configSchema = mgmt.operations.find((o) => o.method === 'GET' && o.path.endsWith('/config/auth'))!.responses['200'] as never;
  const state = {
    config: { ...defaults(configSchema), site_url: o.tenant ? 'http://localhost:3000' : 'https://app.example.com', oauth_server_enabled: false, oauth_server_allow_dynamic_registration: false, oauth_server_authorization_path: null },
    clients: new Map<string, Record<string, unknown>>(),
  };
  const err = (status: number, code: string, message: string) => ({ code: status, error_code: code, msg: message });
  const view = (c: Record<string, unknown>) => {
    const { client_secret: _s, ...rest } = c;
    return rest;
  };
  let origin = '';
  const tenant = o.tenant ? await supabaseAuthServer(state.config, () => origin, { registrationLimit: o.registrationLimit }) : undefined;
  const fake = new ProviderFake({
    fixtures: [{ fixture: mgmt, prefix: '' }, { fixture: authSpec, prefix: '/auth/v1' }],
    ...(tenant ? { extra: (req, res, url, body) => tenant.handle(req, res, url, body) } : {}),
    authorize: (h, path) => (path.startsWith('/v1/') ? h.authorization === `Bearer ${SUPABASE.token}` : h.apikey === SUPABASE.serviceKey),
    error: err,
    handlers: {
      'GET /v1/projects/{ref}/config/auth': ({ params }) => (params.ref === SUPABASE.ref ? { status: 200, body: state.config } : { status: 404, body: { message: 'Project not found' } }),
      'PATCH /v1/projects/{ref}/config/auth': ({ body }) => {
        Object.assign(state.config, body);
        return { status: 200, body: state.config };
      },
      'GET /v1/projects/{ref}/api-keys': ({ query }) => ({
        status: 200,
        body: [
          { name: 'anon', api_key: 'anon-key-public', type: 'legacy', id: 'anon', prefix: null, description: null, hash: null },
          { name: 'default', api_key: query.get('reveal') === 'true' ? SUPABASE.serviceKey : 'sb_secret_••••', type: 'secret', id: 'k1', prefix: 'sb_secret_', description: null, hash: null },
        ],
      }),
      'GET /admin/oauth/clients': () => ({ status: 200, body: { clients: [...state.clients.values()].reverse().map(view) } }),
      'POST /admin/oauth/clients': ({ body }) => {
        if (!state.config.oauth_server_enabled) return { status: 404, body: err(404, 'feature_disabled', 'OAuth server is disabled') };
        if ((body.redirect_uris ?? []).length > 10) return { status: 400, body: err(400, 'validation_failed', 'redirect_uris cannot exceed 10 items') };
        const id = randomBytes(16).toString('hex');
        const now = new Date().toISOString();
        const c: Record<string, unknown> = {
          client_id: id, client_name: body.client_name, client_type: body.client_type ?? 'confidential',
          token_endpoint_auth_method: body.token_endpoint_auth_method ?? 'client_secret_basic', registration_type: 'manual',
          redirect_uris: body.redirect_uris, grant_types: body.grant_types ?? ['authorization_code', 'refresh_token'], response_types: ['code'],
          created_at: now, updated_at: now,
        };
        state.clients.set(id, c);
        const out = c.client_type === 'confidential' ? { ...c, client_secret: `supabase_client_secret_${randomBytes(16).toString('hex')}` } : c;
        if (out.client_secret) c.client_secret = out.client_secret;
        return { status: 201, body: out };
      },
      'GET /admin/oauth/clients/{client_id}': ({ params }) => {
        const c = state.clients.get(params.client_id!);
        return c ? { status: 200, body: view(c) } : { status: 404, body: err(404, 'oauth_client_not_found', 'OAuth client not found') };
      },
      'PUT /admin/oauth/clients/{client_id}': ({ params, body }) => {
        const c = state.clients.get(params.client_id!);
        if (!c) return { status: 404, body: err(404, 'oauth_client_not_found', 'OAuth client not found') };
        if (!body || !Object.keys(body).length) return { status: 400, body: err(400, 'validation_failed', 'no fields to update') };
        if ((body.redirect_uris ?? []).length > 10) return { status: 400, body: err(400, 'validation_failed', 'redirect_uris cannot exceed 10 items') };
        // The spec: the method "must be compatible with the client's current client_type" (public: only none).
        const m = body.token_endpoint_auth_method;
        if (m !== undefined && (m === 'none') !== (c.client_type === 'public')) return { status: 400, body: err(400, 'validation_failed', `token_endpoint_auth_method ${m} is not compatible with client_type ${c.client_type}`) };
        Object.assign(c, body, { updated_at: new Date().toISOString() });
        return { status: 200, body: view(c) };
      },
      'DELETE /admin/oauth/clients/{client_id}': ({ params }) => { state.clients.delete(params.client_id!); return { status: 204 }; },
      'POST /admin/oauth/clients/{client_id}/regenerate_secret': ({ params }) => {
        const c = state.clients.get(params.client_id!);
        if (!c) return { status: 404, body: err(404, 'oauth_client_not_found', 'OAuth client not found') };
        if (c.client_type === 'public') return { status: 400, body: err(400, 'validation_failed', 'public clients have no secret') };
        c.client_secret = `supabase_client_secret_${randomBytes(16).toString('hex')}`;
        return { status: 200, body: c };
      },
    },
  });
  await fake.start();
  origin = fake.origin;
  return { fake, state, tenant, env: { SUPABASE_ACCESS_TOKEN: SUPABASE.token, SUPABASE_PROJECT_REF: SUPABASE.ref, SUPABASE_API_URL: fake.origin, SUPABASE_URL: fake.origin } };
}
