/**
 * gpt-oauth's own writes to one app on one provider are serialised on this machine: a lock file
 * per provider and app in the config directory, created exclusively, with the holder's pid and a
 * stale-lock timeout (a killed run does not block the next one for long).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from '../errors.js';

const STALE_MS = 30_000;
const WAIT_MS = 60_000;

export async function withAppLock<T>(dir: string, provider: string, app: string, work: () => Promise<T>): Promise<T> {
  const locks = join(dir, 'locks');
  await mkdir(locks, { recursive: true, mode: 0o700 });
  const file = join(locks, `${provider}-${createHash('sha256').update(app).digest('hex').slice(0, 16)}.lock`);
  const started = Date.now();
  for (;;) {
    try {
      const h = await open(file, 'wx', 0o600);
      await h.writeFile(`${process.pid}\n`);
      await h.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const s = await stat(file).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs > STALE_MS) { await rm(file, { force: true }); continue; }
      if (Date.now() - started > WAIT_MS) {
        throw new CliError(`another gpt-oauth run is changing this ${provider} app (lock ${file})`, 1, `Wait for it to finish, or remove the lock file if no run is active (it is ignored after ${STALE_MS / 1000} s).`, 'locked');
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  try {
    return await work();
  } finally {
    await rm(file, { force: true });
  }
}
