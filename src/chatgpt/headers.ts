/**
 * The request headers ChatGPT's traffic carries. Server-to-server requests (discovery,
 * registration, token, MCP) come from OpenAI's servers with Python HTTP clients; the authorize
 * step is a top-level navigation in the user's own browser.
 *
 * Sources: ../shared/reference/chatgpt-requirements.md B0 step 8 and B13.
 */

/**
 * User-Agents observed on ChatGPT's server-side requests (Waishnav/devspace#44 and the WordPress
 * MCP plugin doc, research B0/B13). Last confirmed 2026-09.
 */
export const SERVER_USER_AGENTS = ['python-httpx/0.28.1', 'Python/3.12 aiohttp/3.13.5'] as const;

/**
 * The codings ChatGPT's server-side HTTP client accepts and decodes (httpx sends
 * `gzip, deflate`, plus `br` with brotli installed; research B13). Every doctor request sends it.
 */
export const SERVER_ACCEPT_ENCODING = 'gzip, deflate, br';

/**
 * What a current desktop browser sends on a top-level navigation to the authorization URL
 * (Fetch Metadata, RFC 9110 content negotiation). Cookies are kept by the caller.
 */
export const BROWSER_NAVIGATION_HEADERS: Readonly<Record<string, string>> = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.9',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-user': '?1',
  'upgrade-insecure-requests': '1',
};
