/**
 * Text that did not come from gpt-oauth (servers, provider APIs, files) passes through
 * `safeText` on its way to a terminal, a report or a log.
 */

/**
 * Make a server-supplied string safe to print: drop C0/C1 control characters and ANSI/OSC
 * escape sequences (keeping newline and tab), and cap its length.
 */
export function safeText(input: unknown, max = 500): string {
  let s = typeof input === 'string' ? input : String(input);
  // eslint-disable-next-line no-control-regex
  s = s.replace(/\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?/g, '') // OSC
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '') // CSI
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    // Bidirectional controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C) can make printed text
    // read differently from what it is ("Trojan Source").
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, '');
  if (s.length > max) s = `${s.slice(0, max)}… (${s.length - max} more characters)`;
  return s;
}

/** What `quoted` writes as a \u escape beyond JSON's own: DEL, C1, bidi controls, line/paragraph separators. */
// eslint-disable-next-line no-control-regex
const QUOTE_ESCAPE_RE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029]/g;

/**
 * A server value in a message, in double quotes, where the reader must see it exactly (why it is
 * not a URL, why two values differ): every character safeText would drop is shown as an escape
 * instead (ESC as \u001b, a newline as \n, U+202E as \u202e), as JSON writes strings, so
 * `"http://127.0.0.1:8080\u001b[31m"` shows what is wrong with it. The result holds no control
 * or bidi character at all; `"` and `\` are escaped too, so the quotes cannot be closed early.
 */
export function quoted(input: unknown, max = 200): string {
  const s = typeof input === 'string' ? input : String(input);
  const q = JSON.stringify(s.length > max ? s.slice(0, max) : s)
    .replace(QUOTE_ESCAPE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return s.length > max ? `${q}… (${s.length - max} more characters)` : q;
}

/** C1 controls and bidirectional controls: gpt-oauth never writes them itself. */
const UNSAFE_RE = /[\u0080-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** In JSON text (--json, HAR): C1 and bidi controls as \u escapes (the data is kept, the bytes are not). */
export function escapeJsonUnsafe(json: string): string {
  return json.replace(UNSAFE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The last guard on stdout and stderr: whatever a path forgot, no C1 or bidi control and no C0
 * control other than tab, newline, carriage return and ESC (gpt-oauth's own colours and spinner)
 * reaches the terminal. Server-supplied ESC sequences were already removed by safeText.
 */
export function terminalGuard(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(UNSAFE_RE, '').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f]/g, '');
}

/**
 * A value for a POSIX shell command line a user copies: left bare when it is plainly safe,
 * otherwise single-quoted ('…' with ' written as '\''). Control characters were already removed
 * by safeText, so nothing can end the line or escape the quotes.
 */
export function shellQuote(input: unknown): string {
  const s = safeText(input, 2000);
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
