/**
 * Styling through chalk (nesting, NO_COLOR / FORCE_COLOR levels). Colour only adds emphasis;
 * symbols and words carry the meaning. Whether to colour is decided once per stream by
 * `createIO` (flags, NO_COLOR, TTY); chalk supplies the level (FORCE_COLOR=2/3 give 256/true colour).
 * Not imported by `--help`, which needs no colour.
 */
import chalk, { Chalk } from 'chalk';

export interface Style {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function style(enabled: boolean): Style {
  const c = new Chalk({ level: enabled ? Math.max(chalk.level, 1) as 1 | 2 | 3 : 0 });
  return {
    red: (s) => c.red(s),
    green: (s) => c.green(s),
    yellow: (s) => c.yellow(s),
    cyan: (s) => c.cyan(s),
    dim: (s) => c.dim(s),
    bold: (s) => c.bold(s),
  };
}
