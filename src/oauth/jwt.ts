import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, errors, type JSONWebKeySet, type JWTPayload } from 'jose';

export type TokenShape =
  | { kind: 'jwt'; header: Record<string, unknown>; payload: JWTPayload }
  | { kind: 'malformed-jwt'; reason: string }
  | { kind: 'jwe' }
  | { kind: 'opaque' };

export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export function tokenShape(token: string): TokenShape {
  const parts = token.split('.');
  if (parts.length === 5) return { kind: 'jwe' };
  if (parts.length !== 3) return { kind: 'opaque' };
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    return { kind: 'opaque' }; // three dot-separated parts, but not a JWS header: an opaque string
  }
  try {
    return { kind: 'jwt', header, payload: decodeJwt(token) };
  } catch (err) {
    return { kind: 'malformed-jwt', reason: `it has a JWT header (alg ${String(header.alg)}) but its payload is not base64url-encoded JSON (${(err as Error).message})` };
  }
}

export function audiences(payload: JWTPayload): string[] {
  const aud = payload.aud;
  return Array.isArray(aud) ? aud : typeof aud === 'string' ? [aud] : [];
}

/** Verify a JWT access token; returns a human reason on failure. Never fetches jku/x5u. */
export async function verifyJwt(token: string, jwks: JSONWebKeySet, issuer: string): Promise<{ ok: true; payload: JWTPayload; alg: string } | { ok: false; reason: string }> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer, algorithms: ASYMMETRIC_ALGS });
    return { ok: true, payload, alg: protectedHeader.alg };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'the token is already expired (check the server clock and the access-token lifetime)' };
    if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: `claim "${err.claim}" is invalid: ${err.reason === 'check_failed' ? `expected ${err.claim === 'iss' ? `iss = ${issuer}` : 'a valid value'}` : err.reason}` };
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'the signature does not verify with the published keys' };
    if (err instanceof errors.JWKSNoMatchingKey) return { ok: false, reason: 'no key in the JWKS matches the token\'s kid/alg (keys rotated without publishing?)' };
    if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'the token is signed with a symmetric or unsupported algorithm; resource servers cannot verify it with public keys' };
    return { ok: false, reason: (err as Error).message };
  }
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsigned `alg: none` token with plausible claims. */
export function algNoneToken(claims: JWTPayload): string {
  return `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`;
}

/** A real token with its payload changed and the original signature kept. */
export function tamperedToken(token: string): string {
  const shape = tokenShape(token);
  if (shape.kind === 'jwt') {
    const [h, , s] = token.split('.');
    return `${h}.${b64({ ...shape.payload, sub: 'gpt-oauth-forged-subject', scope: `${shape.payload.scope ?? ''} admin`.trim() })}.${s}`;
  }
  // Opaque: change one character in the middle.
  const i = Math.floor(token.length / 2);
  const c = token[i] === 'A' ? 'B' : 'A';
  return token.slice(0, i) + c + token.slice(i + 1);
}
