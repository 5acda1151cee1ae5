/**
 * Spinners on stderr (ora) at an interactive terminal of a usable width; plain "… done" lines
 * otherwise. An animated spinner clears the lines it drew by dividing by the terminal's width, so a
 * terminal that reports 0 (or no) columns — `script -c`, some `docker exec -t` — would make it
 * clear lines without end: nothing here trusts the reported size.
 */
import type { IO } from './io.js';
import { safeText } from '../text.js';

/** The narrowest terminal a spinner line is drawn on. */
const MIN_COLUMNS = 20;

/**
 * Whether stderr can show an animated spinner: a terminal that reports a sane width, and a run a
 * person watches (not CI, not --no-input).
 */
export function canAnimate(io: IO): boolean {
  const err = io.stderr as NodeJS.WriteStream;
  if (!err.isTTY || !io.interactive) return false;
  const cols = err.columns;
  return typeof cols === 'number' && Number.isFinite(cols) && cols >= MIN_COLUMNS;
}

export async function withSpinner<T>(io: IO, text: string, work: () => Promise<T>, done?: (r: T) => string): Promise<T> {
  if (!canAnimate(io)) {
    io.stderr.write(`${text}…\n`);
    const r = await work();
    io.stderr.write(`✔ ${safeText(done ? done(r) : text, 300)}\n`);
    return r;
  }
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: io.stderr as NodeJS.WritableStream, color: 'cyan', isEnabled: true }).start();
  try {
    const r = await work();
    spinner.succeed(done ? done(r) : text);
    return r;
  } catch (err) {
    spinner.fail(text);
    throw err;
  }
}
