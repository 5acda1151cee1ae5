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

/** The fixed start of the doctor's `state` (ChatGPT's form); the rest is random. */
const STATE_PREFIX = 'oauth_s_';

/**
 * A long `state` in ChatGPT's form (`oauth_s_<hex>`), lengthened with the rest of the unreserved
 * set (`-._~`, base64url) that servers sometimes mangle: 300 characters. Every character is
 * VSCHAR, as RFC 6749 Appendix A.5 requires (servers that enforce it refuse anything else), and
 * unreserved (RFC 3986 §2.3), so a sound server returns it unchanged with no encoding question.
 */
export function longState(): string {
  const s = `${STATE_PREFIX}${randomBytes(96).toString('hex')}-._~${randomToken(48)}`;
  registerSecret(s, 'state', true);
  return s;
}

/** How the `state` a callback carried relates to the one its sign-in sent (stateKinship). */
export type StateKinship = 'same' | 'cut' | 'changed' | 'foreign';

/** Characters of the sent state's random part that a changed state must still carry in a row. */
const KIN_RUN = 16;

/**
 * How the `state` a callback carried relates to the one the sign-in sent (`longState`):
 * - `same`;
 * - `cut`: a prefix of it with 16 or more of its random characters (a column too short for it);
 * - `changed`: it still carries 16 characters in a row of the sent state's random part (compared
 *   without case): what a server that decodes, re-encodes or replaces some characters of a state
 *   returns — a transformation of what was sent;
 * - `foreign`: nothing of it — another sign-in's state (an address pasted from an earlier run or
 *   another tab), or a value the server made up.
 * 16 characters of the random part carry at least 64 random bits (hex), so another sign-in's
 * state shares such a run by chance with a probability below 2^-55 (300 windows), and only who
 * saw the state sent can return a `cut` or `changed` one: the loopback listener may take it as
 * this sign-in's answer, for authz.state to judge.
 */
export function stateKinship(sent: string, got: string): StateKinship {
  if (got === sent) return 'same';
  const fixed = sent.startsWith(STATE_PREFIX) ? STATE_PREFIX.length : 0;
  if (got.length >= fixed + KIN_RUN && sent.startsWith(got)) return 'cut';
  const random = sent.slice(fixed).toLowerCase();
  // Bounded: a state longer than a URL may be is compared by its first 64 KiB.
  const g = got.slice(0, 65_536).toLowerCase();
  for (let i = 0; i + KIN_RUN <= random.length; i++) if (g.includes(random.slice(i, i + KIN_RUN))) return 'changed';
  return 'foreign';
}
