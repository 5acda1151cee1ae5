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
