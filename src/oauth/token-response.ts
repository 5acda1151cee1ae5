/** What RFC 6749 §5.1 asks of a successful token response, as ChatGPT's backend reads it (both suites). */
import { safeText } from '../text.js';

/** The problems of a token response body; empty when it is a usable Bearer token response. */
export function tokenResponseProblems(contentType: string | undefined, body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const ct = (contentType ?? '').toLowerCase();
  if (!ct.includes('json')) problems.push(`content type is ${safeText(ct || 'missing', 60)}, not application/json`);
  if (typeof body.access_token !== 'string' || !body.access_token) problems.push('access_token is missing');
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') problems.push(`token_type is ${safeText(JSON.stringify(body.token_type) ?? 'missing', 40)}, not "Bearer"`);
  if (body.expires_in !== undefined && typeof body.expires_in !== 'number') problems.push(`expires_in is a ${typeof body.expires_in} (${safeText(JSON.stringify(body.expires_in), 40)}), not a number`);
  return problems;
}

/** The fix for what tokenResponseProblems found: each wrong member, not the whole response. */
export function tokenResponseFix(contentType: string | undefined, body: Record<string, unknown>): string {
  const ct = (contentType ?? '').toLowerCase();
  return [
    !ct.includes('json') ? 'Answer with Content-Type: application/json.' : '',
    typeof body.access_token !== 'string' || !body.access_token ? 'Return the access token as "access_token".' : '',
    typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer' ? 'Send "token_type": "Bearer".' : '',
    body.expires_in !== undefined && typeof body.expires_in !== 'number' ? 'Send expires_in as a number of seconds ("expires_in": 3600, not "3600").' : '',
  ].filter(Boolean).join(' ').replace(/\.$/, ' (RFC 6749 §5.1).');
}
