/** Facts about the sandbox that its files share, and that light modules need without loading oidc-provider. */

/** The GPT id of the sandbox's GPT Action client: its callbacks are ChatGPT's for this id. */
export const SANDBOX_GPT_ID = 'g-gptoauthsandbox';

/** The MCP server's scope, the GPT Action API's scope, and the sandbox's one user. */
export const SCOPE = 'mcp:tools';
export const API_SCOPE = 'api:read';
export const USER = 'sandbox-user';
