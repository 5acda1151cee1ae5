// Token-verifying middleware for an Express/Node MCP server (written by `gpt-oauth init`).
// Serves RFC 9728 metadata, answers missing or invalid tokens with the 401 challenge ChatGPT
// needs, and checks signature, issuer, audience and expiry of JWT access tokens.
//   npm install jose
//   app.use(protectedResourceMetadata); app.use('/mcp', requireBearer);
import { createRemoteJWKSet, jwtVerify } from 'jose';

const MCP_URL = '{{mcpUrl}}';
const ISSUER = '{{issuer}}';
// A value gpt-oauth could not discover is REPLACE-ME: refuse to start until it is set.
for (const [name, value] of Object.entries({ MCP_URL, ISSUER, JWKS_URI: '{{jwksUri}}' })) {
  if (value.includes('REPLACE-ME')) throw new Error(`mcp-auth-middleware.mjs: set ${name} (still a placeholder: ${value})`);
}
const PRM_URL = new URL(`/.well-known/oauth-protected-resource${new URL(MCP_URL).pathname}`, MCP_URL).href;
const jwks = createRemoteJWKSet(new URL('{{jwksUri}}'));

const metadata = {
  resource: MCP_URL,
  authorization_servers: [ISSUER],
  scopes_supported: {{scopesJson}},
  bearer_methods_supported: ['header'],
};

export function protectedResourceMetadata(req, res, next) {
  const path = new URL(MCP_URL).pathname;
  if (req.path === '/.well-known/oauth-protected-resource' || req.path === `/.well-known/oauth-protected-resource${path}`) {
    return res.json(metadata);
  }
  next();
}

export async function requireBearer(req, res, next) {
  const challenge = (error) => `Bearer resource_metadata="${PRM_URL}"${error ? `, error="${error}"` : ''}`;
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return res.status(401).set('WWW-Authenticate', challenge()).json({ error: 'unauthorized' });
  try {
    // Audience binding: accept only tokens issued for this MCP server.
    const { payload } = await jwtVerify(m[1], jwks, { issuer: ISSUER, audience: {{audienceExpr}} });
    req.auth = payload;
    next();
  } catch {
    res.status(401).set('WWW-Authenticate', challenge('invalid_token')).json({ error: 'invalid_token' });
  }
}
