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

/**
 * Remember a value that must never be printed, with every form it can take in an output: as is,
 * URL- and form-encoded, JSON-escaped and XML-escaped (so escaping for --json, JUnit or HAR
 * cannot dodge it).
 *
 * `trusted` values are the user's (environment, keyring, prompt, flags' files): any of 6+
 * characters. Everything else came from a server, which could otherwise steer redaction into
 * gpt-oauth's own text (a "secret" of "security" would blank the verdict line): those count only
 * when they look like a credential — 12+ characters, no whitespace, not letters alone. Such
 * values are still covered by the field-name, JWT and auth-scheme rules below.
 */
export function registerSecret(value: string | undefined | null, label = 'secret', trusted = false): void {
  if (!value || value.length < 6 || known.size >= MAX_NEEDLES) return;
  if (!trusted && (value.length < 12 || /\s/.test(value) || /^[A-Za-z]+$/.test(value))) return;
  for (const form of derivedForms(value)) known.set(form, label);
  sorted = undefined;
}

/** The needles, longest first (so that a value containing another is replaced whole); cached. */
let sorted: string[] | undefined;

/** More needles than any run has secrets: a server cannot grow the list without bound. */
const MAX_NEEDLES = 5000;

const html = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const jsonInner = (v: string) => JSON.stringify(v).slice(1, -1);

/**
 * The spellings a value takes on its way into an output: as is; URL- and form-encoded; escaped
 * for a JSON string, twice (JSON quoted inside JSON, as a server that puts the request in an
 * error_description sends it); HTML/XML-escaped (also with `'` as `&#39;`/`&apos;`), and that
 * inside JSON; Markdown-escaped as the reports escape text.
 */
function derivedForms(value: string): Set<string> {
  const forms = new Set([value]);
  forms.add(encodeURIComponent(value));
  forms.add(new URLSearchParams({ v: value }).toString().slice(2));
  forms.add(jsonInner(value));
  forms.add(jsonInner(jsonInner(value)));
  const h = html(value);
  forms.add(h);
  forms.add(h.replace(/'/g, '&#39;'));
  forms.add(h.replace(/'/g, '&apos;'));
  forms.add(jsonInner(h));
  forms.add(h.replace(/[\\`*_{}[\]()#+!|~]/g, '\\$&'));
  return forms;
}

/**
 * A client id and secret: also the Basic credential they make, base64 of `id:secret` in both the
 * raw and the RFC 6749 §2.3.1 form-encoded spelling, with or without the `Basic ` prefix.
 */
export function registerClientCredentials(clientId: string | undefined, secret: string | undefined, trusted = true): void {
  if (!secret) return;
  registerSecret(secret, 'client_secret', trusted);
  if (!clientId) return;
  const enc = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
  registerSecret(Buffer.from(`${clientId}:${secret}`).toString('base64'), 'client credentials', true);
  registerSecret(Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64'), 'client credentials', true);
}

/** For tests: forget registered values. */
export function clearSecrets(): void {
  known.clear();
  sorted = undefined;
}

/**
 * JWTs (`eyJ…` header, two dots) inside runs of token characters. One pass over each run with
 * indexOf, never a backtracking pattern: a 1 MiB `eyJeyJ…` header costs linear time.
 */
const TOKEN_RUN_RE = /[A-Za-z0-9_.-]{12,}/g;
function redactJwts(run: string): string {
  let out = '';
  let from = 0;
  let i = run.indexOf('eyJ');
  while (i >= 0) {
    const dot1 = run.indexOf('.', i);
    if (dot1 < 0) break;
    const dot2 = run.indexOf('.', dot1 + 1);
    if (dot1 - i >= 8 && dot2 >= 0) {
      const end = run.indexOf('.', dot2 + 1);
      out += `${run.slice(from, i)}[redacted jwt]`;
      from = end < 0 ? run.length : end;
      i = run.indexOf('eyJ', from);
      continue;
    }
    // Every other eyJ before dot1 has an even shorter first segment.
    i = run.indexOf('eyJ', dot1 + 1);
  }
  return from === 0 ? run : out + run.slice(from);
}
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
  sorted ??= [...known.keys()].sort((a, b) => b.length - a.length);
  for (const v of sorted) {
    if (out.includes(v)) out = out.split(v).join(`[redacted ${known.get(v)}]`);
  }
  out = out.replace(TOKEN_RUN_RE, redactJwts);
  out = out.replace(BASIC_RE, '$1 [redacted]');
  out = out.replace(FIELD_RE, (m, kv: string | undefined, v1: string | undefined, jk: string | undefined, v2: string | undefined) => {
    const val = v1 ?? v2 ?? '';
    if (val.startsWith('[redacted') || val === '') return m;
    return kv ? `${kv}[redacted]` : `${jk}[redacted]"`;
  });
  return out;
}

/**
 * A copy of `value` with every string in it redacted, its structure kept: what an output that
 * serializes (JSON) is made from, so that redaction never cuts into escaped text.
 */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (depth > 40 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out as T;
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
