/** Reading provider credentials and API locations from the environment. */
import { registerSecret } from '../http/redact.js';
import { UsageError } from '../errors.js';

export function requireEnv(env: NodeJS.ProcessEnv, name: string, why: string): string {
  const v = env[name];
  if (!v) throw new UsageError(`missing ${name} (${why})`, 'Set it in the environment; credentials are never accepted as flag values.');
  registerSecret(v, name);
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
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new UsageError(`${variable} must be https (http only on loopback): ${raw}`);
  return u.origin + u.pathname.replace(/\/$/, '');
}

