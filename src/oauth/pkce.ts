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
/** A verifier that matches no challenge (a negative test's): redacted like a real one. */
export function wrongVerifier(): string {
  const v = randomToken(32);
  registerSecret(v, 'code_verifier', true);
  return v;
}

export function newPkce(): Pkce {
  const verifier = randomToken(32);
  registerSecret(verifier, 'code_verifier', true);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/**
 * A long `state` in ChatGPT's form (`oauth_s_<hex>`), lengthened with the rest of the unreserved
 * set (`-._~`, base64url) that servers sometimes mangle: 300 characters. Every character is
 * VSCHAR, as RFC 6749 Appendix A.5 requires (servers that enforce it refuse anything else), and
 * unreserved (RFC 3986 §2.3), so a sound server returns it unchanged with no encoding question.
 */
export function longState(): string {
  const s = `oauth_s_${randomBytes(96).toString('hex')}-._~${randomToken(48)}`;
  registerSecret(s, 'state', true);
  return s;
}
