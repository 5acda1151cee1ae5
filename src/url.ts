/** URL rules shared by every command: what counts as loopback, and "https, or http on loopback". */

/** A loopback host: 127.0.0.0/8, localhost or ::1. */
export function isLoopback(u: string | URL): boolean {
  try {
    const h = (typeof u === 'string' ? new URL(u) : u).hostname;
    return h === 'localhost' || h === '[::1]' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
  } catch {
    return false;
  }
}

/** https anywhere, http only on loopback (OAuth 2.1 §2.3.1, and what ChatGPT can reach). */
export function isHttpsOrLoopback(u: URL): boolean {
  return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u));
}
