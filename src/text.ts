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
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
  if (s.length > max) s = `${s.slice(0, max)}… (${s.length - max} more characters)`;
  return s;
}
