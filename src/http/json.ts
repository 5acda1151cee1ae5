import type { HttpResponse } from './client.js';
import { safeText } from '../text.js';

/** Deeper JSON than this is refused before parsing (no real metadata or token response nests past a few levels). */
const MAX_JSON_DEPTH = 256;

/** Thrown by `parseJson` for JSON nested deeper than MAX_JSON_DEPTH. */
export class JsonTooDeep extends Error {
  constructor() {
    super(`JSON nested too deeply (more than ${MAX_JSON_DEPTH} levels)`);
  }
}

/**
 * JSON.parse for server text: a linear pre-scan refuses nesting deeper than MAX_JSON_DEPTH, so a
 * 20,000-deep document gets a clear problem instead of "Maximum call stack size exceeded"
 * somewhere later.
 */
export function parseJson(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > MAX_JSON_DEPTH) throw new JsonTooDeep(); }
    else if (c === 125 || c === 93) depth--;
  }
  return JSON.parse(text);
}

export type JsonResult<T = Record<string, unknown>> =
  | { ok: true; value: T }
  | { ok: false; problem: string };

export function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const base = ct.split(';')[0]!.trim().toLowerCase();
  return base === 'application/json' || base.endsWith('+json');
}

/** Describe a body that is not the JSON we wanted, in words a user recognises. */
export function describeNonJson(res: HttpResponse): string {
  const ct = res.header('content-type') ?? 'no content type';
  const text = res.text().trimStart().slice(0, 200).toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || ct.includes('text/html')) {
    return `answered ${res.status} with an HTML page (${safeText(ct, 80)}) instead of JSON; usually a single-page-app fallback route, a login wall or a proxy error page`;
  }
  if (res.body.length === 0) return `answered ${res.status} with an empty body (${safeText(ct, 80)})`;
  return `answered ${res.status} with ${safeText(ct, 80)} instead of application/json`;
}

/**
 * Parse a JSON object response. Content type and shape problems become a `problem` string;
 * the caller decides how severe that is. `requireContentType: false` parses JSON bodies sent
 * with the wrong type (and the caller may warn about the type).
 */
export function readJsonObject<T = Record<string, unknown>>(res: HttpResponse, requireContentType = true): JsonResult<T> {
  const ct = res.header('content-type');
  if (requireContentType && !isJsonContentType(ct)) return { ok: false, problem: describeNonJson(res) };
  let value: unknown;
  try {
    value = parseJson(res.text());
  } catch (err) {
    if (err instanceof JsonTooDeep) return { ok: false, problem: `answered ${res.status} with ${err.message}` };
    const head = res.text().trimStart().slice(0, 20).toLowerCase();
    if (head.startsWith('<') || (res.header('content-type') ?? '').includes('html')) return { ok: false, problem: describeNonJson(res) };
    const msg = (err as Error).message;
    return { ok: false, problem: `answered ${res.status} with a body that is not valid JSON (${safeText(msg, 120)})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problem: `answered ${res.status} with JSON that is not an object` };
  }
  return { ok: true, value: value as T };
}

/** The `error` / `error_description` of an OAuth error response, made safe to print. */
export function oauthError(res: HttpResponse): string {
  const parsed = readJsonObject(res, false);
  if (parsed.ok && typeof parsed.value.error === 'string') {
    const d = parsed.value.error_description;
    return `${res.status} ${safeText(parsed.value.error, 80)}${typeof d === 'string' ? `: ${safeText(d, 200)}` : ''}`;
  }
  const coded = providerError(res);
  if (coded) return `${res.status} ${coded}`;
  return `${res.status} ${safeText(res.text().slice(0, 160), 160) || '(empty body)'}`;
}

/**
 * A provider's own error body, in words: Supabase Auth's `{code, error_code, msg}` and Stytch's
 * `{error_type, error_message}` ("feature_disabled: OAuth server is disabled"), or undefined.
 */
export function providerError(res: HttpResponse): string | undefined {
  const parsed = readJsonObject(res, false);
  if (!parsed.ok) return undefined;
  const v = parsed.value;
  const [code, msg] = typeof v.error_code === 'string' ? [v.error_code, v.msg ?? v.message] : typeof v.error_type === 'string' ? [v.error_type, v.error_message] : [];
  if (typeof code !== 'string') return undefined;
  return `${safeText(code, 80)}${typeof msg === 'string' ? `: ${safeText(msg, 200)}` : ''}`;
}
