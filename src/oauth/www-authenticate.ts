/**
 * Parse a WWW-Authenticate header into challenges (RFC 9110 §11.6.1), enough for
 * `Bearer resource_metadata="…", scope="…", error="…"`.
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string | undefined): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s+|$)/y;
  const paramRe = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]+)\s*,?/y;
  let i = 0;
  while (i < header.length) {
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m) break;
    const challenge: Challenge = { scheme: m[1]!, params: {} };
    i = re.lastIndex;
    for (;;) {
      paramRe.lastIndex = i;
      const p = paramRe.exec(header);
      if (!p) break;
      // A token followed by a space and not "=" starts the next challenge.
      challenge.params[p[1]!.toLowerCase()] = p[3] !== undefined ? p[3].replace(/\\(.)/g, '$1') : p[2]!;
      i = paramRe.lastIndex;
    }
    out.push(challenge);
    while (i < header.length && (header[i] === ',' || header[i] === ' ')) i++;
  }
  return out;
}

export function bearerChallenge(header: string | undefined): Challenge | undefined {
  return parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === 'bearer');
}
