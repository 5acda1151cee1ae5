/**
 * Reading a server's page: the one line a person needs from a sign-in that ended on a page (a
 * login page, an OAuth error page): its title, its heading and its own error text. The page is
 * the server's, so hostile: only its start is read, and the line is bounded and escaped.
 */
import { parseJson } from '../http/json.js';
import { safeText } from '../text.js';

/**
 * A line about a page or error body. Server text: only its first 8 KiB are looked at, so the
 * patterns below (which scan forward from each `<`) stay cheap on a hostile 1 MiB page.
 */
const SUMMARY_SCAN = 8 * 1024;
export function summarise(fullBody: string, ct: string | undefined): string {
  const body = fullBody.slice(0, SUMMARY_SCAN);
  if (ct?.includes('json')) {
    try {
      const j = parseJson(body) as Record<string, unknown>;
      if (typeof j.error === 'string') return `${safeText(j.error, 60)}${typeof j.error_description === 'string' ? `: ${safeText(j.error_description, 200)}` : ''}`;
    } catch { /* fall through */ }
  }
  const title = decodeEntities(/<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1] ?? '').trim();
  const h1 = decodeEntities(/<h1[^>]*>([^<]*)<\/h1>/i.exec(body)?.[1] ?? '').trim();
  const message = pageMessage(body, [title, h1]);
  const parts = [...new Set([title, h1, message].filter(Boolean))];
  return safeText(parts.length ? parts.join(' — ') : '(empty page)', 400);
}

/**
 * The page's own error text: a line naming an OAuth error code ("invalid_request: no connections
 * enabled for the client"), else an element whose class or id says error, else the first line of
 * text after the title and heading. Bounded; the caller escapes it.
 */
const OAUTH_ERROR_WORD = /\b(invalid_[a-z_]+|unauthorized_client|access_denied|unsupported_[a-z_]+|server_error|temporarily_unavailable|login_required|consent_required|interaction_required|redirect_uri_mismatch)\b/;
function pageMessage(html: string, shown: string[]): string {
  const lines = (block: string) => decodeEntities(block
    .replace(/<(script|style|noscript|template)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, '\n'))
    .split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).filter((l) => l && !shown.includes(l));
  const all = lines(html);
  const coded = all.find((l) => OAUTH_ERROR_WORD.test(l));
  if (coded) return coded.slice(0, 200);
  const marked = /<(\w+)\b[^>]*\b(?:class|id)\s*=\s*["'][^"']*error[^"']*["'][^>]*>([\s\S]{0,2000}?)<\/\1\s*>/i.exec(html);
  const inMarked = marked ? lines(marked[2]!)[0] : undefined;
  return (inMarked ?? all[0] ?? '').slice(0, 200);
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos|nbsp);/gi, (m, e: string) => {
    const k = e.toLowerCase();
    if (k.startsWith('#')) {
      const n = k[1] === 'x' ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
      return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : m;
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' } as Record<string, string>)[k] ?? m;
  });
}
