/**
 * Redaction by construction: every sink (stderr, --debug trace, JSON/JUnit reports) passes text
 * through `redact()` before writing it. Known secret values are registered as they become known
 * (client secrets, codes, verifiers, tokens), with every spelling they take in an output and,
 * under those, every 8 characters of their random-looking runs (see `fragments`); field names
 * and JWT shapes are a backstop for values the CLI never saw as such.
 */
const known = new Map<string, string>(); // spelling -> label
const grams = new Map<string, string>(); // 8 characters of a fragment -> label

const SECRET_FIELDS = [
  'client_secret', 'code', 'code_verifier', 'refresh_token', 'access_token', 'id_token',
  'registration_access_token', 'password', 'client_assertion', 'assertion', 'state', 'token',
  'device_code', 'subject_token', 'nonce',
];
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'dpop']);

/**
 * Remember a value that must never be printed, with every form it can take in an output: as is,
 * URL- and form-encoded, JSON-escaped and XML-escaped (so escaping for --json, JUnit or HAR
 * cannot dodge it), and every 8 characters of its random-looking runs (`fragments`), whatever
 * nesting of escapes an output or an echoing server wraps it in, wherever a cut splits it.
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
  for (const form of derivedForms(value)) {
    if (!known.has(form)) pending.push(form);
    known.set(form, label);
  }
  if (grams.size < MAX_GRAMS) {
    for (const g of gramsOf(value)) {
      if (grams.has(g)) continue;
      grams.set(g, label);
      const h = gramHash(g, GRAM);
      gramBits[h >>> 5]! |= 1 << (h & 31);
    }
  }
}

/**
 * The net under the spellings: the maximal runs of letters and digits of 8 or more characters,
 * which JSON, HTML/XML, URL and Markdown escaping all leave alone, so that a secret survives any
 * nesting of them only as these runs. A run counts only when it cannot be an ordinary word: it
 * mixes letters and digits, or it switches between upper and lower case at least every third
 * character (random mixed case does about every other; a camelCase name such as
 * `OAuthClientSecret` far less). A word (`password`), a CONSTANT, a number (a port, a date) or a
 * camelCase identifier is never a fragment, so a test user's `password_123` does not blank out
 * "password" everywhere; a secret with no such run is redacted by its spellings alone.
 */
export function fragments(value: string): string[] {
  return (value.match(/[A-Za-z0-9]{8,}/g) ?? []).filter(randomEnough);
}

function randomEnough(run: string): boolean {
  const letter = /[A-Za-z]/.test(run);
  if (/[0-9]/.test(run)) return letter;
  let switches = 0;
  for (let i = 1; i < run.length; i++) if (/[a-z]/.test(run[i - 1]!) !== /[a-z]/.test(run[i]!)) switches++;
  return switches * 3 >= run.length - 1;
}

/**
 * What redaction looks for of the fragments: every 8 consecutive characters of each (so that a
 * fragment cut short, by a length limit or a server that quotes part of it, is still found: at
 * most 7 of its characters show at each cut; 11 of hex digits alone, see `HEX_MIN`), but those of one class alone (8 lowercase letters,
 * capitals or digits could be a word or a number, and must not be blanked everywhere).
 */
export function gramsOf(value: string): string[] {
  const out: string[] = [];
  for (const f of fragments(value)) {
    // Characters of each class in the window f[i - GRAM + 1 .. i].
    const count = [0, 0, 0];
    for (let i = 0; i < f.length; i++) {
      count[classOf(f.charCodeAt(i))]!++;
      if (i >= GRAM) count[classOf(f.charCodeAt(i - GRAM))]!--;
      if (i >= GRAM - 1 && !count.includes(GRAM)) out.push(f.slice(i + 1 - GRAM, i + 1));
    }
  }
  return out;
}

/** 0 a digit, 1 a capital, 2 a lowercase letter (of a run of letters and digits). */
const classOf = (c: number) => (c <= 57 ? 0 : c <= 90 ? 1 : 2);

const GRAM = 8;
/** A filter in front of the map: one bit per 20-bit hash of the grams registered. */
const gramBits = new Uint32Array(1 << 15);
/** A hash of the GRAM characters of `s` ending before `end` (the rolling hash below, computed afresh). */
function gramHash(s: string, end: number): number {
  let h = 0;
  for (let k = end - GRAM; k < end; k++) h = (Math.imul(h, 31) + s.charCodeAt(k)) | 0;
  return mix(h);
}
const mix = (h: number) => (h ^ (h >>> 15)) & 0xfffff;
/** 31^GRAM mod 2^32: what the character leaving the window weighs. */
const OUT_WEIGHT = Array.from({ length: GRAM }).reduce<number>((p) => Math.imul(p, 31), 1);
/** Room for the fragments of thousands of tokens; a server cannot grow it without bound. */
const MAX_GRAMS = 200_000;

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

/**
 * Credentials a response names by their field (a token response's tokens, a registration's
 * client_secret, a redirect's code), registered as the response arrives: before the --debug
 * trace prints it, so that the same response echoing them in other encodings (a debug member, an
 * error page) is redacted by spelling and fragment too, not only where a check later reads them.
 * Server values: the rule for untrusted values applies. JSON objects and forms up to 256 KiB.
 */
export function registerResponseSecrets(body: string, location?: string): void {
  const found = (k: string, v: unknown) => { if (typeof v === 'string' && SECRET_FIELDS.includes(k)) registerSecret(v, k); };
  const t = body.length <= 1 << 18 ? body.trimStart() : '';
  if (t.startsWith('{')) {
    try {
      const j: unknown = JSON.parse(t);
      if (j && typeof j === 'object' && !Array.isArray(j)) for (const [k, v] of Object.entries(j)) found(k, v);
    } catch { /* not JSON: nothing named */ }
  } else if (/^[\w.~%+-]+=[^<>\s]*$/.test(t)) {
    for (const [k, v] of new URLSearchParams(t)) found(k, v);
  }
  if (!location) return;
  try {
    const u = new URL(location, 'http://x.invalid');
    for (const [k, v] of [...u.searchParams, ...new URLSearchParams(u.hash.slice(1))]) found(k, v);
  } catch { /* not a URL */ }
}

/** For tests: forget registered values. */
export function clearSecrets(): void {
  known.clear();
  grams.clear();
  gramBits.fill(0);
  levels = [];
  pending = [];
}

/**
 * Aho–Corasick automata over every spelling: one linear pass over the
 * text per automaton finds, at each position, the longest needle ending there, however many
 * needles there are. Every character any needle covers is redacted; overlapping matches merge
 * into one `[redacted label]`, named after the longest of them.
 *
 * Secrets are registered one at a time between redactions, so the automata are kept as in a
 * binary counter (Bentley–Saxe): needles registered since the last redaction form a new
 * automaton, merged (rebuilt) with the newest older ones while those are no larger. A run that
 * registers n needles builds O(n log n) nodes in all, and redaction runs O(log n) automata.
 */
interface Node {
  /** Children: the first in `ch`/`child` (most trie nodes have one), any others in `more`. */
  ch: number; child: Node | undefined; more: Map<number, Node> | undefined;
  fail: Node | undefined;
  /** The longest needle ending here (its own or through the fail links), or ''. */
  needle: string;
}
interface Level { needles: string[]; chars: number; root: Node }
let levels: Level[] = [];
let pending: string[] = [];

const node = (): Node => ({ ch: -1, child: undefined, more: undefined, fail: undefined, needle: '' });
const step = (n: Node, c: number): Node | undefined => (n.ch === c ? n.child : n.more?.get(c));

function build(needles: string[]): Node {
  const root = node();
  for (const needle of needles) {
    let n = root;
    for (let i = 0; i < needle.length; i++) {
      const c = needle.charCodeAt(i);
      let m = step(n, c);
      if (!m) {
        m = node();
        if (!n.child) { n.ch = c; n.child = m; } else (n.more ??= new Map()).set(c, m);
      }
      n = m;
    }
    if (needle.length > n.needle.length) n.needle = needle;
  }
  // Breadth first: each node's fail link is the longest proper suffix that is a prefix of some
  // needle.
  const queue: Node[] = [];
  const link = (n: Node, c: number, m: Node) => {
    let f = n.fail;
    while (f && !step(f, c)) f = f.fail;
    m.fail = f ? step(f, c)! : root;
    if (m.fail.needle.length > m.needle.length) m.needle = m.fail.needle;
    queue.push(m);
  };
  const visit = (n: Node) => {
    if (n.child) link(n, n.ch, n.child);
    if (n.more) for (const [c, m] of n.more) link(n, c, m);
  };
  visit(root);
  for (let q = 0; q < queue.length; q++) visit(queue[q]!);
  return root;
}

/**
 * The automata for a text of `length` characters: a text several times longer than all the
 * needles together gets them merged into one first (building a node costs about what scanning
 * ten characters does, so the passes saved pay for it).
 */
const MERGE_AT = 4;
function automata(length: number): Level[] {
  if (pending.length || (levels.length > 1 && length >= MERGE_AT * levels.reduce((n, l) => n + l.chars, 0))) {
    let needles = pending;
    pending = [];
    let chars = needles.reduce((n, x) => n + x.length, 0);
    const all = levels.length > 1 && length >= MERGE_AT * (chars + levels.reduce((n, l) => n + l.chars, 0));
    while (levels.length && (all || levels[levels.length - 1]!.chars <= chars)) {
      const l = levels.pop()!;
      needles = [...l.needles, ...needles];
      chars += l.chars;
    }
    levels.push({ needles, chars, root: build(needles) });
  }
  return levels;
}

interface Region { start: number; end: number; needle: string; gram?: true }

/** Where the automaton's needles occur in `text`, overlapping ones merged (by their end: a new match can only overlap the last regions). */
function regionsOf(root: Node, text: string, regions: Region[]): void {
  const first = regions.length;
  let n = root;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let m = step(n, c);
    while (!m && n !== root) { n = n.fail!; m = step(n, c); }
    n = m ?? root;
    if (!n.needle) continue;
    const r: Region = { start: i + 1 - n.needle.length, end: i + 1, needle: n.needle };
    while (regions.length > first && regions[regions.length - 1]!.end > r.start) {
      const p = regions.pop()!;
      r.start = Math.min(r.start, p.start);
      if (p.needle.length > r.needle.length) r.needle = p.needle;
    }
    regions.push(r);
  }
}

/** Where 8 characters of a fragment occur in `text`: one look-up per position inside a run of 8+ letters and digits. */
function gramRegionsOf(text: string, regions: Region[]): void {
  const first = regions.length; // the gram regions go after the automata's
  let run = 0;
  let h = 0; // the polynomial hash of the last GRAM characters of the run (all of it while shorter)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) { run = 0; h = 0; continue; }
    h = (Math.imul(h, 31) + c) | 0;
    if (++run > GRAM) h = (h - Math.imul(text.charCodeAt(i - GRAM), OUT_WEIGHT)) | 0;
    if (run < GRAM) continue;
    const m = mix(h);
    if (!(gramBits[m >>> 5]! & (1 << (m & 31)))) continue;
    const g = text.slice(i + 1 - GRAM, i + 1);
    if (!grams.has(g)) continue;
    const last = regions[regions.length - 1];
    if (regions.length > first && last!.end > i + 1 - GRAM) last!.end = i + 1;
    else {
      dropIfWeak(regions, text, first);
      regions.push({ start: i + 1 - GRAM, end: i + 1, needle: g, gram: true });
    }
  }
  dropIfWeak(regions, text, first);
}

/**
 * A match of hex digits alone carries 4 bits a character: 8 of them (32 bits) turn up by chance
 * in another random hex id once enough hex secrets are registered (a registered 192-digit `state`
 * makes 185 grams; a printed `client_1f3a…` met one of them in about one run in a hundred). Such
 * a match counts from HEX_MIN characters (48 bits); a hex secret cut short shows at most 11.
 */
const HEX_MIN = 12;
function dropIfWeak(regions: Region[], text: string, first: number): void {
  const last = regions[regions.length - 1];
  if (regions.length <= first || !last || last.end - last.start >= HEX_MIN) return;
  if (/^(?:[0-9a-f]+|[0-9A-F]+)$/.test(text.slice(last.start, last.end))) regions.pop();
}

function replaceNeedles(text: string): string {
  const found: Region[] = [];
  const all = automata(text.length);
  for (const l of all) regionsOf(l.root, text, found);
  if (grams.size) gramRegionsOf(text, found);
  if (!found.length) return text;
  found.sort((a, b) => a.start - b.start);
  let out = '';
  let from = 0;
  for (let i = 0; i < found.length;) {
    const r = { ...found[i++]! };
    while (i < found.length && found[i]!.start < r.end) {
      const q = found[i++]!;
      r.end = Math.max(r.end, q.end);
      if (q.needle.length > r.needle.length) r.needle = q.needle;
    }
    out += `${text.slice(from, r.start)}[redacted ${known.get(r.needle) ?? grams.get(r.needle) ?? 'secret'}]`;
    from = r.end;
  }
  return out + text.slice(from);
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
// `key=value` (query strings, forms) and `"key": "value"` (JSON), also cut short (a truncated
// body ends inside the value: the rest of a token is still a credential). Plain prose is left alone.
const FIELD_RE = new RegExp(
  `(\\b(?:${SECRET_FIELDS.join('|')})=)([^&\\s"'<>]+)|(["'](?:${SECRET_FIELDS.join('|')})["']\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)("|$)`,
  'g',
);
// Credentials after an auth scheme: long token-like strings only, so prose such as
// "Bearer challenge" stays readable, and not auth-params (`Bearer resource_metadata="…"`,
// `Bearer error=invalid_token`: a lowercase name and `=`), which are challenge syntax, not secrets.
const BASIC_RE = /\b(Basic|Bearer|DPoP)\s+(?![a-z_]+\s*=)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{16,}/g;

export function redact(text: string): string {
  if (!text) return text;
  let out = known.size || grams.size ? replaceNeedles(text) : text;
  out = out.replace(TOKEN_RUN_RE, redactJwts);
  out = out.replace(BASIC_RE, '$1 [redacted]');
  out = out.replace(FIELD_RE, (m, kv: string | undefined, v1: string | undefined, jk: string | undefined, v2: string | undefined, close: string | undefined) => {
    const val = v1 ?? v2 ?? '';
    // Left alone only when nothing but redactions: a value redacted in part (the 8 characters a
    // token shares with another, or a secret inside it) is still a credential.
    if (/^(?:\[redacted[^\]]*\])+$/.test(val) || val === '') return m;
    return kv ? `${kv}[redacted]` : `${jk}[redacted]${close ?? ''}`;
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
