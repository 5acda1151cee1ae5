/**
 * The error texts ChatGPT shows, quoted where a failure of that kind produces them. Sources:
 * ../shared/reference/chatgpt-requirements.md B15 (connectors) and A9 (GPT Actions); each entry
 * names its report.
 */
export const CHATGPT_SAYS = {
  /** forcedotcom/mcp-hosted#47, pockito-app (also shown when the AS metadata cannot be read). */
  pkce: 'Error creating connector — OAuth authorization server metadata must advertise PKCE support with code_challenge_methods_supported containing S256.',
  /** github/github-mcp-server#1081 (no registration path, or discovery failure). */
  fetchConfig: 'Error fetching OAuth configuration',
  /** tunnel docs, Asherlc/dofek plan: generic, DCR method mismatch, developer mode off. */
  createApp: "Couldn't create MCP app. Try again.",
  /** pockito-app, Labby doc: code→token rejected, audience, 401 on the first MCP call. */
  connecting: 'There was a problem connecting <app>. Try again later.',
  /**
   * Auth0 blog (2025): the fatal form, when ChatGPT compared granted and requested scopes and
   * stopped. Not seen since the non-fatal warning below (research B15); quoted as history.
   */
  scopes: 'OAUTH_SCOPES_MISMATCH: Granted OAuth scopes do not match the requested scopes.',
  /**
   * PostHog/posthog#81072 (August 2026, last confirmed): the non-fatal warning when the token
   * response grants a subset; the connection goes on. Whether it then works depends on the MCP
   * server accepting the narrower token.
   */
  scopesPartial: 'not all requested permissions were granted',
  /** GPT Actions and connectors alike, when `state` does not come back. */
  state: 'Missing `state` param in response from OAuth provider',
  /** gts360/django-oauth-toolkit-dcr PR#1 (mid-2025). */
  authMethod: 'MCP server <url> does not support client_secret_post token endpoint auth method',
} as const;

/** GPT Actions (research A9). */
export const CHATGPT_ACTIONS_SAYS = {
  /** forum t/665758. */
  missingToken: (url: string) => `Missing access token, received 400 from ${url}: response_data={… 'error': 'invalid_grant' …}`,
  state: CHATGPT_SAYS.state,
  /** GPT Actions authentication doc, troubleshooting. */
  redirect: 'redirect_uri is not registered for client (shown by the provider before the sign-in page)',
} as const;
