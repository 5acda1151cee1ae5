/**
 * Parse WWW-Authenticate (RFC 9110 §11.6.1) as ChatGPT's HTTP client reads it: several
 * challenges in one header or in several (undici joins them with ", "), each an auth-scheme with
 * either a token68 or comma-separated auth-params (token or quoted-string values), e.g.
 * `Negotiate, NTLM, Bearer resource_metadata="…", scope="a b"`. One pass, no backtracking,
 * bounded input: server-supplied text never costs more than linear time.
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

const TCHAR = /[A-Za-z0-9!#$%&'*+.^_`|~-]/;
const T68 = /[A-Za-z0-9\-._~+/]/;
const MAX_HEADER = 16 * 1024;
const MAX_CHALLENGES = 32;

export function parseWwwAuthenticate(header: string | undefined): Challenge[] {
  if (!header) return [];
  const h = header.slice(0, MAX_HEADER);
  const out: Challenge[] = [];
  let i = 0;
  const ws = () => { while (i < h.length && (h[i] === ' ' || h[i] === '\t')) i++; };
  const sep = () => { while (i < h.length && (h[i] === ' ' || h[i] === '\t' || h[i] === ',')) i++; };
  const token = () => { const s = i; while (i < h.length && TCHAR.test(h[i]!)) i++; return h.slice(s, i); };
  const quoted = () => {
    i++; // opening quote
    let v = '';
    while (i < h.length && h[i] !== '"') {
      if (h[i] === '\\' && i + 1 < h.length) i++;
      v += h[i++];
    }
    i++; // closing quote (or end)
    return v;
  };
  while (i < h.length && out.length < MAX_CHALLENGES) {
    sep();
    const scheme = token();
    if (!scheme) { i++; continue; } // not a token: skip the character
    const c: Challenge = { scheme, params: {} };
    out.push(c);
    ws();
    // token68 (RFC 9110 §11.2): b64token characters and "=" padding, ending the challenge.
    const start = i;
    while (i < h.length && T68.test(h[i]!)) i++;
    if (i > start) {
      let j = i;
      while (j < h.length && h[j] === '=') j++;
      let k = j;
      while (k < h.length && (h[k] === ' ' || h[k] === '\t')) k++;
      if (k >= h.length || h[k] === ',') {
        c.token68 = h.slice(start, j);
        i = k;
        continue;
      }
      i = start; // it was an auth-param name
    }
    // auth-params until a token that is not followed by "=" (the next scheme).
    for (;;) {
      sep();
      const save = i;
      const name = token();
      if (!name) break;
      ws();
      if (h[i] !== '=') { i = save; break; }
      i++;
      ws();
      const value = h[i] === '"' ? quoted() : token();
      c.params[name.toLowerCase()] = value;
    }
  }
  return out;
}

export function bearerChallenge(header: string | undefined): Challenge | undefined {
  return parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === 'bearer');
}
