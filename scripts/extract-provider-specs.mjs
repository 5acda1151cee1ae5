#!/usr/bin/env node
// Copies the subset of the providers' OpenAPI documents that the adapters use into
// test/fixtures/provider-specs/<provider>.json, with every $ref inlined, so the provider fakes
// derive routes, request validation and response shapes from the real documents while tests
// never read ../shared at run time.
//   node scripts/extract-provider-specs.mjs [path/to/shared/provider-specs]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const specs = process.argv[2] ?? join(root, '..', 'shared', 'provider-specs');
const out = join(root, 'test', 'fixtures', 'provider-specs');

const PROVIDERS = {
  clerk: {
    file: 'clerk-bapi-2026-05-12.yml',
    ops: [
      ['get', '/oauth_applications'], ['post', '/oauth_applications'],
      ['get', '/oauth_applications/{oauth_application_id}'], ['patch', '/oauth_applications/{oauth_application_id}'],
      ['delete', '/oauth_applications/{oauth_application_id}'], ['post', '/oauth_applications/{oauth_application_id}/rotate_secret'],
      ['get', '/instance/oauth_application_settings'], ['patch', '/instance/oauth_application_settings'],
      ['get', '/domains'],
    ],
  },
  auth0: {
    file: 'auth0-management-api-v2.yml',
    ops: [
      ['get', '/clients'], ['post', '/clients'], ['get', '/clients/{id}'], ['patch', '/clients/{id}'], ['delete', '/clients/{id}'],
      ['post', '/clients/{id}/rotate-secret'],
      ['get', '/resource-servers'], ['post', '/resource-servers'],
      ['get', '/client-grants'], ['post', '/client-grants'],
      ['get', '/tenants/settings'], ['patch', '/tenants/settings'],
      ['get', '/connections'], ['patch', '/connections/{id}'],
    ],
  },
  stytch: {
    file: 'stytch-consumer-api.yml',
    ops: [
      ['post', '/v1/connected_apps/clients'], ['get', '/v1/connected_apps/clients/{client_id}'],
      ['put', '/v1/connected_apps/clients/{client_id}'], ['delete', '/v1/connected_apps/clients/{client_id}'],
      ['post', '/v1/connected_apps/clients/search'],
      ['post', '/v1/connected_apps/clients/{client_id}/secrets/rotate/start'], ['post', '/v1/connected_apps/clients/{client_id}/secrets/rotate'],
    ],
  },
  'stytch-management': {
    file: 'stytch-management-api.yml',
    ops: [
      ['get', '/pwa/v3/projects'], ['get', '/pwa/v3/projects/:project_slug/environments'],
      ['patch', '/pwa/v3/projects/:project_slug/environments/:environment_slug'],
    ],
  },
  'supabase-management': {
    file: 'supabase-management-api-v1.json',
    ops: [['get', '/v1/projects/{ref}/config/auth'], ['patch', '/v1/projects/{ref}/config/auth'], ['get', '/v1/projects/{ref}/api-keys']],
  },
  'supabase-auth': {
    file: 'supabase-auth-openapi.yaml',
    ops: [
      ['get', '/admin/oauth/clients'], ['post', '/admin/oauth/clients'], ['get', '/admin/oauth/clients/{client_id}'],
      ['put', '/admin/oauth/clients/{client_id}'], ['delete', '/admin/oauth/clients/{client_id}'],
      ['post', '/admin/oauth/clients/{client_id}/regenerate_secret'],
    ],
  },
};

function load(file) {
  const text = readFileSync(join(specs, file), 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parse(text, { maxAliasCount: -1 });
}

function resolvePointer(doc, ref) {
  return ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

/** Inline $refs; a cycle becomes an open schema (the fakes do not need infinite depth). */
function inline(doc, node, seen = []) {
  if (Array.isArray(node)) return node.map((n) => inline(doc, n, seen));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    if (seen.includes(node.$ref)) return {};
    return inline(doc, resolvePointer(doc, node.$ref), [...seen, node.$ref]);
  }
  const outNode = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'example' || k === 'examples' || k === 'x-codeSamples' || k === 'description' && typeof v === 'string' && v.length > 300) continue;
    outNode[k] = inline(doc, v, seen);
  }
  return outNode;
}

mkdirSync(out, { recursive: true });
for (const [name, p] of Object.entries(PROVIDERS)) {
  const doc = load(p.file);
  const operations = p.ops.map(([method, path]) => {
    const item = doc.paths[path];
    const op = item?.[method];
    if (!op) throw new Error(`${p.file}: ${method.toUpperCase()} ${path} not found`);
    const body = op.requestBody ? inline(doc, op.requestBody) : undefined;
    const responses = {};
    for (const [code, r] of Object.entries(op.responses ?? {})) {
      const resolved = inline(doc, r);
      responses[code] = resolved?.content?.['application/json']?.schema ?? null;
    }
    return {
      method: method.toUpperCase(),
      // The Stytch Management document writes path parameters Express-style (:slug).
      path: path.replace(/:([A-Za-z_]+)/g, '{$1}'),
      operationId: op.operationId,
      parameters: inline(doc, [...(item.parameters ?? []), ...(op.parameters ?? [])]).map((x) => ({ name: x.name, in: x.in, required: !!x.required, schema: x.schema })),
      requestBody: body ? { required: !!body.required, schema: body.content?.['application/json']?.schema ?? null } : null,
      responses,
    };
  });
  const fixture = { provider: name, source: `shared/provider-specs/${p.file}`, openapi: doc.openapi, operations };
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`${name}: ${operations.length} operations from ${p.file}`);
}
