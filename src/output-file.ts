/**
 * Files the CLI writes at the end of a run (--report, --junit, --trace, --write-baseline, init's
 * project file): checked before any request, so a path that cannot be written is a usage error
 * (exit 2) naming the flag — not a Node error after a whole run. A write that still fails later
 * (the disk filled, the directory went away) names the flag and the reason, never a raw error.
 */
import { access, constants, open, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CliError, EXIT, UsageError } from './errors.js';
import { safeText } from './text.js';

/** A Node file-system error as a person reads it. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENAMETOOLONG: 'the name is too long',
  };
  return (code && reasons[code]) ?? (code ? `error ${code}` : 'it could not be written');
}

/**
 * An output file must be creatable: its directory exists and a file can be made there. Tried for
 * real (opened for appending, which changes nothing in an existing file; a file created by the
 * try is removed), as a directory that exists may still refuse files (/proc, a read-only mount).
 */
export async function checkOutputPath(file: string | undefined, flag: string): Promise<void> {
  if (file === undefined) return;
  const shown = safeText(file, 300);
  if (!file) throw new UsageError(`${flag} needs a file name`);
  const dir = dirname(resolve(file));
  const d = await stat(dir).catch(() => undefined);
  if (!d?.isDirectory()) throw new UsageError(`${flag} ${shown}: the directory ${safeText(dir, 300)} does not exist`);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${shown}: the directory ${safeText(dir, 300)} is not writable`);
  }
  const f = await stat(file).catch(() => undefined);
  if (f?.isDirectory()) throw new UsageError(`${flag} ${shown}: that is a directory, not a file`);
  try {
    const h = await open(file, 'a');
    await h.close();
    if (!f) await unlink(file).catch(() => undefined);
  } catch (err) {
    throw new UsageError(`${flag} ${shown}: cannot write the file there (${fsReason(err)})`);
  }
}

/** Write an output file; a failure names the flag and the reason (exit 1: the run's own result stands). */
export async function writeOutput(file: string, flag: string, data: string): Promise<void> {
  try {
    await writeFile(file, data);
  } catch (err) {
    throw new CliError(`${flag} ${safeText(file, 300)}: could not write the file (${fsReason(err)})`, EXIT.failed, undefined, 'output');
  }
}
