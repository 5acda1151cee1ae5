import { createHash, randomBytes } from 'node:crypto';
import { registerSecret } from '../http/redact.js';

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** A fresh RFC 7636 S256 pair; the verifier is registered for redaction. */
export function newPkce(): Pkce {
  const verifier = randomToken(32);
  registerSecret(verifier, 'code_verifier', true);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/**
 * A long `state` with characters that servers often mangle (as ChatGPT's can be long):
 * 300+ characters including `-._~` and percent-encoded-looking text.
 */
export function longState(): string {
  const s = `oauth_s_${randomBytes(96).toString('hex')}-._~${randomToken(48)}%2F+ä`;
  registerSecret(s, 'state', true);
  return s;
}
