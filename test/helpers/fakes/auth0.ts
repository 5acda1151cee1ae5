/** Auth0 Management API v2 fake (clients, resource servers, client grants, tenant settings) + /oauth/token. */
import { randomBytes } from 'node:crypto';
import { loadFixture, ProviderFake } from '../provider-fake.js';
import { auth0Profile, tenantAuthorizationServer, type TenantAs } from './auth0-tenant.js';

const AUTH0_M2M = { id: 'm2mFakeClientId000', secret: 'auth0_m2m_fake_secret_0123456789' };

export interface Auth0State {
  clients: Map<string, Record<string, unknown>>;
  resourceServers: Record<string, unknown>[];
  grants: Record<string, unknown>[];
  settings: Record<string, unknown>;
  tokens: Set<string>;
  connections: Record<string, unknown>[];
}

/** The Management API and, on the same origin, the tenant's authorization server (auth0-tenant.ts). */
export async function startAuth0Fake(): Promise<{ fake: ProviderFake; state: Auth0State; env: Record<string, string>; tenant: TenantAs; issuer: string }> {
  const state: Auth0State = {
    clients: new Map(), resourceServers: [], grants: [], tokens: new Set(),
    connections: [{ id: 'con_db0001', name: 'Username-Password-Authentication', strategy: 'auth0', is_domain_connection: false }, { id: 'con_goog01', name: 'google-oauth2', strategy: 'google-oauth2', is_domain_connection: false }],
    settings: { friendly_name: 'Fake tenant', flags: { enable_dynamic_client_registration: false }, resource_parameter_profile: 'audience' },
  };
  const err = (status: number, code: string, message: string) => ({ statusCode: status, error: status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : 'Bad Request', message, errorCode: code });
  const pick = (c: Record<string, unknown>, fields: string | null) => {
    const { client_secret: _s, ...rest } = c;
    if (!fields) return rest;
    const f = fields.split(',');
    return Object.fromEntries(Object.entries(rest).filter(([k]) => f.includes(k)));
  };
  let origin = '';
  const tenant = await tenantAuthorizationServer(auth0Profile(state), () => origin);
  const fake = new ProviderFake({
    fixtures: [{ fixture: loadFixture('auth0'), prefix: '/api/v2' }],
    authorize: (h) => state.tokens.has(String(h.authorization ?? '').replace(/^Bearer /, '')),
    error: err,
    extra: (req, res, url, body) => {
      if (tenant.handle(req, res, url, body)) return true;
      if (url.pathname !== '/oauth/token' || req.method !== 'POST') return false;
      const b = JSON.parse(body || '{}');
      res.setHeader('content-type', 'application/json');
      if (b.grant_type !== 'client_credentials' || b.client_id !== AUTH0_M2M.id || b.client_secret !== AUTH0_M2M.secret || b.audience !== `${origin}/api/v2/`) {
        res.writeHead(401);
        res.end(JSON.stringify({ error: 'access_denied', error_description: 'Unauthorized' }));
        return true;
      }
      const token = `mgmt_${randomBytes(16).toString('hex')}`;
      state.tokens.add(token);
      res.writeHead(200);
      res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 86400, scope: 'create:clients read:clients' }));
      return true;
    },
    handlers: {
      'GET /clients': ({ query }) => {
        const all = [...state.clients.values()];
        const page = Number(query.get('page') ?? 0);
        const per = Number(query.get('per_page') ?? 50);
        const slice = all.slice(page * per, page * per + per).map((c) => pick(c, query.get('fields')));
        return { status: 200, body: query.get('include_totals') === 'true' ? { start: page * per, limit: per, total: all.length, clients: slice } : slice };
      },
      'POST /clients': ({ body }) => {
        const id = randomBytes(16).toString('hex');
        const secret = `auth0_client_secret_${randomBytes(16).toString('hex')}`;
        const c = { tenant: 'fake', global: false, is_first_party: true, callbacks: [], ...body, client_id: id, client_secret: secret };
        state.clients.set(id, c);
        return { status: 201, body: c };
      },
      'GET /clients/{id}': ({ params, query }) => {
        const c = state.clients.get(params.id!);
        return c ? { status: 200, body: pick(c, query.get('fields')) } : { status: 404, body: err(404, 'inexistent_client', 'The client does not exist') };
      },
      'PATCH /clients/{id}': ({ params, body }) => {
        const c = state.clients.get(params.id!);
        if (!c) return { status: 404, body: err(404, 'inexistent_client', 'The client does not exist') };
        Object.assign(c, body);
        return { status: 200, body: pick(c, null) };
      },
      'DELETE /clients/{id}': ({ params }) => { state.clients.delete(params.id!); return { status: 204 }; },
      'POST /clients/{id}/rotate-secret': ({ params }) => {
        const c = state.clients.get(params.id!);
        if (!c) return { status: 404, body: err(404, 'inexistent_client', 'The client does not exist') };
        c.client_secret = `auth0_client_secret_${randomBytes(16).toString('hex')}`;
        return { status: 200, body: c };
      },
      'GET /resource-servers': ({ query }) => {
        const ids = query.getAll('identifiers').flatMap((x) => x.split(','));
        return { status: 200, body: state.resourceServers.filter((r) => !ids.length || ids.includes(String(r.identifier))) };
      },
      'POST /resource-servers': ({ body }) => {
        if (state.resourceServers.some((r) => r.identifier === body.identifier)) return { status: 409, body: err(409, 'conflict', 'A resource server with the same identifier already exists') };
        const r = { id: randomBytes(12).toString('hex'), ...body };
        state.resourceServers.push(r);
        return { status: 201, body: r };
      },
      'GET /client-grants': ({ query }) => ({
        status: 200,
        body: state.grants.filter((g) => (!query.get('audience') || g.audience === query.get('audience')) && (!query.get('default_for') || g.default_for === query.get('default_for'))),
      }),
      'POST /client-grants': ({ body }) => {
        if (!state.resourceServers.some((r) => r.identifier === body.audience)) return { status: 404, body: err(404, 'inexistent_resource_server', 'No resource server found for audience') };
        const g = { id: `cgr_${randomBytes(8).toString('hex')}`, scope: [], ...body };
        state.grants.push(g);
        return { status: 201, body: g };
      },
      'GET /connections': ({ query }) => ({ status: 200, body: state.connections.filter((c) => !query.get('name') || c.name === query.get('name')) }),
      'PATCH /connections/{id}': ({ params, body }) => {
        const c = state.connections.find((x) => x.id === params.id);
        if (!c) return { status: 404, body: err(404, 'inexistent_connection', 'The connection does not exist') };
        Object.assign(c, body);
        return { status: 200, body: c };
      },
      'GET /tenants/settings': () => ({ status: 200, body: state.settings }),
      'PATCH /tenants/settings': ({ body }) => {
        const { flags, ...rest } = body;
        Object.assign(state.settings, rest);
        if (flags) state.settings.flags = { ...(state.settings.flags as object), ...flags };
        return { status: 200, body: state.settings };
      },
    },
  });
  await fake.start();
  origin = fake.origin;
  return { fake, state, tenant, issuer: `${origin}/`, env: { AUTH0_DOMAIN: fake.origin, AUTH0_CLIENT_ID: AUTH0_M2M.id, AUTH0_CLIENT_SECRET: AUTH0_M2M.secret } };
}
