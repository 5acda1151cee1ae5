/**
 * Redaction by construction: every sink (stderr, --debug trace, JSON/JUnit reports) passes text
 * through `redact()` before writing it. Known secret values are registered as they become known
 * (client secrets, codes, verifiers, tokens); field names and JWT shapes are a backstop for
 * values the CLI never saw as such.
 */
const known = new Map<string, string>(); // value -> label

const SECRET_FIELDS = [
  'client_secret', 'code', 'code_verifier', 'refresh_token', 'access_token', 'id_token',
  'registration_access_token', 'password', 'client_assertion', 'assertion', 'state', 'token',
  'device_code', 'subject_token', 'nonce',
];
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'dpop']);

/** Remember a value that must never be printed. Short values are ignored to avoid false hits. */
export function registerSecret(value: string | undefined | null, label = 'secret'): void {
  if (!value || value.length < 6) return;
  known.set(value, label);
  const enc = encodeURIComponent(value);
  if (enc !== value) known.set(enc, label);
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  if (form !== value && form !== enc) known.set(form, label);
}

/** For tests: forget registered values. */
export function clearSecrets(): void {
  known.clear();
}

const JWT_RE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
// `key=value` (query strings, forms) and `"key": "value"` (JSON). Plain prose is left alone.
const FIELD_RE = new RegExp(
  `(\\b(?:${SECRET_FIELDS.join('|')})=)([^&\\s"'<>]+)|(["'](?:${SECRET_FIELDS.join('|')})["']\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)"`,
  'g',
);
// Credentials after an auth scheme: long token-like strings only, so prose such as
// "Bearer challenge" stays readable, and not auth-params (`Bearer resource_metadata="…"`,
// `Bearer error=invalid_token`: a lowercase name and `=`), which are challenge syntax, not secrets.
const BASIC_RE = /\b(Basic|Bearer|DPoP)\s+(?![a-z_]+\s*=)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{16,}/g;

export function redact(text: string): string {
  if (!text) return text;
  let out = text;
  // Longest first so that a value containing another is replaced whole.
  const values = [...known.keys()].sort((a, b) => b.length - a.length);
  for (const v of values) {
    if (out.includes(v)) out = out.split(v).join(`[redacted ${known.get(v)}]`);
  }
  out = out.replace(JWT_RE, '[redacted jwt]');
  out = out.replace(BASIC_RE, '$1 [redacted]');
  out = out.replace(FIELD_RE, (m, kv: string | undefined, v1: string | undefined, jk: string | undefined, v2: string | undefined) => {
    const val = v1 ?? v2 ?? '';
    if (val.startsWith('[redacted') || val === '') return m;
    return kv ? `${kv}[redacted]` : `${jk}[redacted]"`;
  });
  return out;
}

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? '[redacted]' : redact(value);
  }
  return out;
}

/** Show that a secret exists without showing it: first and last characters at most. */
export function mask(value: string | undefined): string {
  if (!value) return '(none)';
  if (value.length <= 8) return '••••';
  return `${value.slice(0, 2)}••••${value.slice(-2)}`;
}
