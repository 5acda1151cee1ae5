/** Reading provider credentials and API locations from the environment. */
import { registerSecret } from '../http/redact.js';
import { UsageError } from '../errors.js';
import { isHttpsOrLoopback } from '../url.js';

export function requireEnv(env: NodeJS.ProcessEnv, name: string, why: string): string {
  const v = env[name];
  if (!v) throw new UsageError(`missing ${name} (${why})`, 'Set it in the environment; credentials are never accepted as flag values.');
  registerSecret(v, name, true);
  return v;
}

/** Loopback origins are accepted over http so the adapters can be pointed at fakes. */
export function apiOrigin(raw: string, variable: string): string {
  let u: URL;
  try {
    u = new URL(/^https?:\/\//.test(raw) ? raw : `https://${raw}`);
  } catch {
    throw new UsageError(`${variable} is not a URL or domain: ${raw}`);
  }
  if (!isHttpsOrLoopback(u)) throw new UsageError(`${variable} must be https (http only on loopback): ${raw}`);
  return u.origin + u.pathname.replace(/\/$/, '');
}

