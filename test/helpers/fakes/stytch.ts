/** Stytch project API fake (Connected Apps clients), HTTP Basic project_id:secret. */
import { randomBytes } from 'node:crypto';
import { loadFixture, ProviderFake } from '../provider-fake.js';
import { stytchAuthServer, type StytchAs } from './stytch-tenant.js';

const STYTCH = {
  projectId: 'project-test-00000000-fake-4000-8000-000000000000',
  secret: 'secret-test-fakeStytchSecret0123456789=',
  workspaceKeyId: 'workspace-key-test-fake0001',
  workspaceKeySecret: 'workspace-secret-fake-0123456789abcdef',
};

/** `tenant`: the project's authorization server on the same origin, the project domain (stytch-tenant.ts). */
/**
 * `legacyIssuer`: what the backward-compatible discovery document at
 * `/v1/public/<project id>/.well-known/openid-configuration` names as issuer — `stytch.com/<project
 * id>`, no scheme, by default (provider-apis.md §3, ArcadeAI/docs#992); 'domain' names the project
 * domain (this fake's origin, whose own discovery the tenant serves).
 */
export async function startStytchFake(o: { tenant?: boolean; legacyIssuer?: 'scheme-less' | 'domain' } = {}): Promise<{ fake: ProviderFake; state: { apps: Map<string, Record<string, unknown>>; environment: Record<string, unknown> }; env: Record<string, string>; workspaceEnv: Record<string, string>; tenant?: StytchAs }> {
  const environment: Record<string, unknown> = {
    environment_slug: 'test', project_slug: 'todo-app', name: 'Test', oauth_callback_id: 'oauth-callback-test-fake', cross_org_passwords_enabled: false,
    user_impersonation_enabled: false, zero_downtime_session_migration_url: '', use_custom_domain_in_magic_link_emails: false, user_lock_self_serve_enabled: false,
    user_lock_threshold: 10, user_lock_ttl: 3600, idp_authorization_url: '', idp_dynamic_client_registration_enabled: false,
    idp_dynamic_client_registration_access_token_template_content: '', project_id: STYTCH.projectId, type: 'TEST',
  };
  const state = { apps: new Map<string, Record<string, unknown>>(), environment };
  const rid = () => `request-id-test-${randomBytes(6).toString('hex')}`;
  const err = (status: number, code: string, message: string) => ({ status_code: status, request_id: rid(), error_type: code, error_message: message, error_url: 'https://stytch.com/docs/api/errors' });
  const view = (a: Record<string, unknown>) => {
    const { client_secret: _s, next_client_secret: _n, ...rest } = a;
    return rest;
  };
  const basic = `Basic ${Buffer.from(`${STYTCH.projectId}:${STYTCH.secret}`).toString('base64')}`;
  const workspace = `Basic ${Buffer.from(`${STYTCH.workspaceKeyId}:${STYTCH.workspaceKeySecret}`).toString('base64')}`;
  let origin = '';
  const tenant = o.tenant ? await stytchAuthServer(environment, STYTCH.projectId, () => origin) : undefined;
  const fake = new ProviderFake({
    fixtures: [{ fixture: loadFixture('stytch'), prefix: '' }, { fixture: loadFixture('stytch-management'), prefix: '' }],
    extra: (req, res, url, body) => {
      if (req.method === 'GET' && url.pathname === `/v1/public/${STYTCH.projectId}/.well-known/openid-configuration`) {
        const legacy = `${origin}/v1/public/${STYTCH.projectId}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: o.legacyIssuer === 'domain' ? origin : `stytch.com/${STYTCH.projectId}`, authorization_endpoint: String(environment.idp_authorization_url ?? ''), token_endpoint: `${legacy}/oauth2/token`, jwks_uri: `${legacy}/.well-known/jwks.json`, response_types_supported: ['code'] }));
        return true;
      }
      return tenant ? tenant.handle(req, res, url, body) : false;
    },
    authorize: (h, path) => h.authorization === (path.startsWith('/pwa/') ? workspace : basic),
    error: err,
    handlers: {
      'GET /pwa/v3/projects': () => ({ status: 200, body: { request_id: rid(), status_code: 200, projects: [{ project_slug: 'other-app', name: 'Other' }, { project_slug: 'todo-app', name: 'Todo' }] } }),
      'GET /pwa/v3/projects/{project_slug}/environments': ({ params }) => ({
        status: 200,
        body: { request_id: rid(), status_code: 200, environments: params.project_slug === 'todo-app' ? [environment] : [] },
      }),
      'PATCH /pwa/v3/projects/{project_slug}/environments/{environment_slug}': ({ params, body }) => {
        if (params.project_slug !== 'todo-app' || params.environment_slug !== 'test') return { status: 404, body: err(404, 'environment_not_found', 'Environment not found') };
        Object.assign(environment, body);
        return { status: 200, body: { request_id: rid(), status_code: 200, environment } };
      },
      'POST /v1/connected_apps/clients': ({ body }) => {
        if (!['first_party', 'first_party_public', 'third_party', 'third_party_public'].includes(body.client_type)) return { status: 400, body: err(400, 'invalid_client_type', 'client_type is invalid') };
        const id = `connected-app-test-${randomBytes(8).toString('hex')}`;
        const confidential = !String(body.client_type).endsWith('_public');
        const app: Record<string, unknown> = {
          client_id: id, client_name: body.client_name ?? '', client_description: body.client_description ?? '', status: 'active',
          full_access_allowed: false, client_type: body.client_type, redirect_urls: body.redirect_urls ?? [], access_token_expiry_minutes: 60,
          access_token_template_content: '', post_logout_redirect_urls: [], bypass_consent_for_offline_access: false, creation_method: 'api',
          ...(body.access_token_custom_audience ? { access_token_custom_audience: body.access_token_custom_audience } : {}),
        };
        if (confidential) { app.client_secret = `stytch_client_secret_${randomBytes(16).toString('hex')}`; app.client_secret_last_four = String(app.client_secret).slice(-4); }
        state.apps.set(id, app);
        return { status: 200, body: { request_id: rid(), status_code: 200, connected_app: app } };
      },
      'GET /v1/connected_apps/clients/{client_id}': ({ params }) => {
        const a = state.apps.get(params.client_id!);
        return a ? { status: 200, body: { request_id: rid(), status_code: 200, connected_app: view(a) } } : { status: 404, body: err(404, 'connected_app_not_found', 'Connected App not found') };
      },
      'PUT /v1/connected_apps/clients/{client_id}': ({ params, body }) => {
        const a = state.apps.get(params.client_id!);
        if (!a) return { status: 404, body: err(404, 'connected_app_not_found', 'Connected App not found') };
        if ('client_type' in body) return { status: 400, body: err(400, 'invalid_argument', 'Cannot update Client Type') };
        Object.assign(a, body);
        return { status: 200, body: { request_id: rid(), status_code: 200, connected_app: view(a) } };
      },
      'DELETE /v1/connected_apps/clients/{client_id}': ({ params }) => {
        state.apps.delete(params.client_id!);
        return { status: 200, body: { request_id: rid(), client_id: params.client_id, status_code: 200 } };
      },
      'POST /v1/connected_apps/clients/search': ({ body }) => {
        const all = [...state.apps.values()];
        const start = Number(body?.cursor ?? 0);
        const limit = Number(body?.limit ?? 100);
        const page = all.slice(start, start + limit);
        const next = start + limit < all.length ? String(start + limit) : undefined;
        // The documented next_cursor is a string: absent on the last page.
        return { status: 200, body: { request_id: rid(), status_code: 200, connected_apps: page.map(view), results_metadata: { total: all.length, ...(next ? { next_cursor: next } : {}) } } };
      },
      'POST /v1/connected_apps/clients/{client_id}/secrets/rotate/start': ({ params }) => {
        const a = state.apps.get(params.client_id!);
        if (!a) return { status: 404, body: err(404, 'connected_app_not_found', 'Connected App not found') };
        a.next_client_secret = `stytch_client_secret_${randomBytes(16).toString('hex')}`;
        return { status: 200, body: { request_id: rid(), status_code: 200, connected_app: { ...view(a), next_client_secret: a.next_client_secret } } };
      },
      'POST /v1/connected_apps/clients/{client_id}/secrets/rotate': ({ params }) => {
        const a = state.apps.get(params.client_id!);
        if (!a?.next_client_secret) return { status: 400, body: err(400, 'no_rotation_in_progress', 'start a rotation first') };
        a.client_secret = a.next_client_secret;
        delete a.next_client_secret;
        return { status: 200, body: { request_id: rid(), status_code: 200, connected_app: view(a) } };
      },
    },
  });
  await fake.start();
  origin = fake.origin;
  const env = { STYTCH_PROJECT_ID: STYTCH.projectId, STYTCH_SECRET: STYTCH.secret, STYTCH_API_URL: fake.origin, ...(tenant ? { STYTCH_DOMAIN: fake.origin } : {}) };
  return { fake, state, env, tenant, workspaceEnv: { ...env, STYTCH_WORKSPACE_KEY_ID: STYTCH.workspaceKeyId, STYTCH_WORKSPACE_KEY_SECRET: STYTCH.workspaceKeySecret, STYTCH_MANAGEMENT_API_URL: fake.origin } };
}
