/**
 * The MCP TypeScript SDK's OAuth example, with the one change the doctor tells its users to make:
 * the token verifier throws the SDK's InvalidTokenError for a token the introspection endpoint
 * rejects, instead of a plain Error (which requireBearerAuth turns into 500 server_error).
 * Everything else is the SDK's own code: the example's demo authorization server
 * (setupAuthServer), mcpAuthMetadataRouter, requireBearerAuth, createMcpExpressApp, McpServer and
 * the Streamable HTTP transport (stateless here). Ports from MCP_PORT and MCP_AUTH_PORT; it
 * listens as the example does, since the URL says localhost.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { getOAuthProtectedResourceMetadataUrl, mcpAuthMetadataRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { setupAuthServer } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';

const MCP_PORT = Number(process.env.MCP_PORT);
const AUTH_PORT = Number(process.env.MCP_AUTH_PORT);
const mcpServerUrl = new URL(`http://localhost:${MCP_PORT}/mcp`);
const oauthMetadata = setupAuthServer({ authServerUrl: new URL(`http://localhost:${AUTH_PORT}`), mcpServerUrl, strictResource: true });

const verifier = {
  async verifyAccessToken(token) {
    const response = await fetch(oauthMetadata.introspection_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    if (!response.ok) throw new InvalidTokenError('Invalid or expired token'); // the fix
    const data = await response.json();
    const audience = [data.aud ?? []].flat().find((aud) => URL.canParse(aud) && new URL(aud).origin === mcpServerUrl.origin);
    return { token, clientId: data.client_id, scopes: data.scope ? data.scope.split(' ') : [], expiresAt: data.exp, resource: audience ? new URL(audience) : undefined };
  },
};

const app = createMcpExpressApp();
app.use(mcpAuthMetadataRouter({ oauthMetadata, resourceServerUrl: mcpServerUrl, scopesSupported: ['mcp:tools'], resourceName: 'MCP Demo Server' }));
const auth = requireBearerAuth({ verifier, requiredScopes: [], resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpServerUrl), expectedResource: mcpServerUrl });

app.post('/mcp', auth, async (req, res) => {
  const server = new McpServer({ name: 'sdk-example-fixed', version: '1.0.0' });
  server.registerTool('ping', { description: 'Answer pong' }, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => { transport.close(); server.close(); });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});

app.listen(MCP_PORT, () => { console.log(`MCP Streamable HTTP Server listening on port ${MCP_PORT}`); });
