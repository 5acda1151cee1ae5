/** Spinners on stderr (ora) with a TTY; plain "… done" lines otherwise. */
import type { IO } from './io.js';
import { safeText } from '../text.js';

export async function withSpinner<T>(io: IO, text: string, work: () => Promise<T>, done?: (r: T) => string): Promise<T> {
  const tty = !!(io.stderr as NodeJS.WriteStream).isTTY && io.interactive;
  if (!tty) {
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
