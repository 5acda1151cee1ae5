/**
 * Recognise the authorization server's product from its issuer, so a fix can name the exact
 * setting on that provider. Only used for advice; checks never change behaviour by provider.
 */
import { invocation } from '../invocation.js';
import { shellQuote } from '../text.js';

export type ProviderKind = 'auth0' | 'clerk' | 'stytch' | 'supabase' | 'keycloak' | 'workos' | 'okta' | 'sandbox' | 'generic';

export function recogniseProvider(issuer: string | undefined): ProviderKind {
  if (!issuer) return 'generic';
  let host = '';
  let path = '';
  try {
    const u = new URL(issuer);
    host = u.hostname.toLowerCase();
    path = u.pathname;
  } catch {
    return 'generic';
  }
  if (/\.auth0\.com$/.test(host)) return 'auth0';
  if (/\.clerk\.accounts\.dev$|^clerk\.|\.clerk\.com$/.test(host)) return 'clerk';
  if (/stytch\.com$|customers\.stytch/.test(host)) return 'stytch';
  if (/\.supabase\.co$/.test(host) || path.startsWith('/auth/v1')) return 'supabase';
  if (/\/realms\/[^/]+/.test(path)) return 'keycloak';
  if (/authkit\.app$|workos/.test(host)) return 'workos';
  if (/\.okta\.com$|\.oktapreview\.com$/.test(host)) return 'okta';
  return 'generic';
}

/**
 * Recognise a provider behind a custom domain by its metadata's shape. Auth0: `/authorize`,
 * `/oauth/token`, an issuer with a trailing slash, and one of its own endpoints
 * (`/oidc/register`, `mfa_challenge_endpoint`, `/oauth/device/code`) — no other product combines
 * them. Stytch: its `/v1/oauth2/*` endpoint paths.
 */
export function recogniseProviderByMetadata(m: Record<string, unknown>): ProviderKind {
  const path = (k: string) => {
    try { return typeof m[k] === 'string' ? new URL(m[k] as string).pathname : undefined; } catch { return undefined; }
  };
  if (typeof m.issuer === 'string' && m.issuer.endsWith('/') && path('authorization_endpoint') === '/authorize' && path('token_endpoint') === '/oauth/token'
    && (path('registration_endpoint') === '/oidc/register' || typeof m.mfa_challenge_endpoint === 'string' || path('device_authorization_endpoint') === '/oauth/device/code')) return 'auth0';
  // Stytch's project domain (custom or not): /v1/oauth2/token with /v1/oauth2/register or
  // /v1/oauth2/userinfo beside it (provider-apis.md §3).
  if (path('token_endpoint') === '/v1/oauth2/token' && (path('registration_endpoint') === '/v1/oauth2/register' || path('userinfo_endpoint') === '/v1/oauth2/userinfo')) return 'stytch';
  return 'generic';
}

/** The command that applies a provider-setting fix: `… doctor <url> --fix` (src/commands/doctor/fix.ts), with `extra` flags. */
export function fixCommand(mcpUrl: string, extra = ''): string {
  return `\`${invocation()} doctor ${shellQuote(mcpUrl)} --fix${extra ? ` ${extra}` : ''}\` applies it`;
}

const PROVIDER_NAMES: Record<ProviderKind, string> = {
  auth0: 'Auth0', clerk: 'Clerk', stytch: 'Stytch', supabase: 'Supabase', keycloak: 'Keycloak',
  workos: 'WorkOS AuthKit', okta: 'Okta', sandbox: 'gpt-oauth sandbox', generic: 'your authorization server',
};

/**
 * Pick the provider-specific advice when there is one, followed by the generic fix.
 * `advice.generic` is always shown, so a wrong guess never hides the general rule.
 */
export function fixFor(provider: ProviderKind, advice: Partial<Record<ProviderKind, string>> & { generic: string }): string {
  const specific = provider !== 'generic' ? advice[provider] : undefined;
  return specific ? `${PROVIDER_NAMES[provider]}: ${specific} / generic: ${advice.generic}` : advice.generic;
}

/** What Stytch's authorization URL must be (provider-apis.md §3, "Behaviour a new Stytch user meets"). */
export const STYTCH_AUTHORIZATION_URL = 'set the project\'s authorization URL (Connected Apps → Authorization URL; workspace Management API idp_authorization_url) to the page of your app that renders Stytch\'s IdentityProvider component — it reads the OAuth parameters, signs the user in, asks for consent and redirects back with the code;';
