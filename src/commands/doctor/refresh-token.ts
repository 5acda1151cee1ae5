/**
 * The refresh token a run keeps for unattended CI runs: `--save-refresh-token` stores the run's
 * newest one (keyring, or a 0600 file) and says how to use it, `--export-refresh-token` writes it
 * to a pipe, never to a terminal. The token itself is never printed.
 */
import { invocation } from '../../invocation.js';
import { UsageError } from '../../errors.js';
import type { IO } from '../../ui/io.js';
import { safeText, shellQuote } from '../../text.js';
import type { Report } from '../../doctor/types.js';
import { validateMcpUrl, type DoctorOptions } from './options.js';

/**
 * `--export-refresh-token`: the refresh token `--save-refresh-token` stored for this URL, on
 * stdout for a pipe into a CI secret store (`| gh secret set GPT_OAUTH_REFRESH_TOKEN`). Never to
 * a terminal: a secret is not shown on screen.
 */
export async function exportRefreshToken(io: IO, o: DoctorOptions): Promise<number> {
  if (!o.url) throw new UsageError('--export-refresh-token needs the MCP URL the token was saved for');
  const subject = validateMcpUrl(o.url);
  if ((io.stdout as NodeJS.WriteStream).isTTY) {
    throw new UsageError('--export-refresh-token writes a secret: pipe it into your CI secret store instead of the terminal',
      `For example: ${invocation()} doctor ${shellQuote(subject)} --export-refresh-token | gh secret set GPT_OAUTH_REFRESH_TOKEN`);
  }
  const { readSecret: readStored } = await import('../../secrets.js');
  const token = await readStored(`refresh-token:${subject}`, io.env);
  if (!token) throw new UsageError(`no refresh token is saved for ${safeText(subject, 200)}`, `Save one with ${invocation()} doctor ${shellQuote(subject)} --save-refresh-token`);
  io.stdout.write(token);
  io.stderr.write(`Wrote the refresh token saved for ${safeText(subject, 200)} to standard output.\n`);
  return 0;
}

/** Store the run's newest refresh token (and its client) for unattended CI runs. Never printed. */
export async function saveRefreshToken(subject: string, report: Report, env: NodeJS.ProcessEnv, say: (l: string) => void): Promise<void> {
  const kept = (report as { kept?: { refreshToken: string; clientId: string; clientSecret?: string } }).kept;
  if (!kept) {
    say('No refresh token was issued, so none was saved (see refresh.grant).');
    return;
  }
  const { storeSecret } = await import('../../secrets.js');
  const where = await storeSecret(`refresh-token:${subject}`, kept.refreshToken, env);
  // The client id came from the server's registration response: printed through safeText, and
  // quoted in the command line the user copies.
  say(`Saved the refresh token for client ${safeText(kept.clientId, 200)} in ${where.where}.`);
  say(`For CI: store it as a secret (e.g. GPT_OAUTH_REFRESH_TOKEN) and run:\n  ${invocation()} doctor ${shellQuote(subject)} --client-id ${shellQuote(kept.clientId)} --refresh-token-env GPT_OAUTH_REFRESH_TOKEN`);
  say(`To put it into a CI secret without showing it: ${invocation()} doctor ${shellQuote(subject)} --export-refresh-token | gh secret set GPT_OAUTH_REFRESH_TOKEN`);
  say('If the server rotates refresh tokens, each one works once: prefer --login command for repeated runs.');
}
