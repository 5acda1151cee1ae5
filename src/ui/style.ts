/**
 * Minimal ANSI styling. Colour only adds emphasis; symbols and words carry the meaning.
 * Kept dependency-free so `--help` and the doctor start fast.
 */
export interface Style {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function style(enabled: boolean): Style {
  if (!enabled) {
    const id = (s: string) => s;
    return { red: id, green: id, yellow: id, cyan: id, dim: id, bold: id };
  }
  return {
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

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
