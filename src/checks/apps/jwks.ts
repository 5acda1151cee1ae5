/** `jwks.*`: the key set resource servers use to verify access tokens. */
import type { CheckDef } from '../types.js';
import { fail, info, pass } from '../types.js';
import { isJsonContentType, describeNonJson, JsonTooDeep, parseJson } from '../../http/json.js';
import { quoted, safeText } from '../../text.js';
import { tokenLookup, type AppsContext } from './context.js';
import { refs } from '../spec.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export const jwksKeys: CheckDef<AppsContext> = {
  id: 'jwks.keys',
  title: 'jwks_uri serves a valid key set of asymmetric keys with distinct kids',
  severity: 'high',
  impact: 'interop',
  step: 'Keys',
  needs: ['as.metadata'],
  spec: refs('RFC 7517 §5', 'RFC 8414 §2', 'RFC 8725 §3.1'),
  reads: ['as'],
  writes: ['jwks'],
  async run(ctx) {
    const uri = ctx.s.as!.jwks_uri;
    if (typeof uri !== 'string') {
      return info(`no jwks_uri advertised: access tokens cannot be verified by their signature, so ${tokenLookup(ctx, true)}`);
    }
    const res = await ctx.http.send({ url: uri, headers: { accept: 'application/jwk-set+json, application/json' } });
    if (res.status !== 200) return fail(`GET ${safeText(uri, 200)} answered ${res.status}`, 'Serve the public key set at jwks_uri.');
    if (!isJsonContentType(res.header('content-type'))) return fail(`${safeText(uri, 200)} ${describeNonJson(res)}`, 'Serve the key set as application/json or application/jwk-set+json.');
    let set: unknown;
    try { set = parseJson(res.text()); } catch (e) { return fail(`${safeText(uri, 200)} is not valid JSON${e instanceof JsonTooDeep ? ` (${e.message})` : ''}`, 'Serve a JSON Web Key Set.'); }
    const keys = (set as { keys?: unknown })?.keys;
    if (!Array.isArray(keys) || keys.length === 0) return fail('the key set has no `keys` array (or it is empty)', 'Publish at least one public signing key.');
    if (keys.length > 100) return fail(`the key set lists ${keys.length} keys; refusing to process more than 100`, 'Publish only the keys in use.');
    // Only the members that are JSON objects go on to the other checks (a key that is a number
    // or an array is reported below, never dereferenced).
    ctx.s.jwks = { keys: keys.filter((k): k is Record<string, unknown> => !!k && typeof k === 'object' && !Array.isArray(k)) };
    const problems: string[] = [];
    const kids = new Set<string>();
    for (const [i, k] of (keys as Record<string, unknown>[]).entries()) {
      if (!k || typeof k !== 'object' || Array.isArray(k)) { problems.push(`key ${i} is not an object`); continue; }
      if (k.kty === 'oct') problems.push(`key ${i} is symmetric (kty oct)`);
      else if (!['RSA', 'EC', 'OKP'].includes(String(k.kty))) problems.push(`key ${i} has unknown kty ${safeText(k.kty, 20)}`);
      if (typeof k.kid !== 'string') problems.push(`key ${i} has no kid`);
      else if (kids.has(k.kid)) problems.push(`kid ${quoted(k.kid, 60)} is used twice`);
      else kids.add(k.kid);
      if (k.kty === 'RSA' && typeof k.n === 'string' && Buffer.from(k.n, 'base64url').length * 8 < 2048) problems.push(`RSA key ${i} is shorter than 2048 bits`);
    }
    if (problems.length) {
      const fix = [
        problems.some((p) => /symmetric|unknown kty/.test(p)) ? 'Publish only asymmetric public keys (RSA, EC or OKP) at jwks_uri.' : '',
        problems.some((p) => /no kid|used twice/.test(p)) ? 'Give each key its own kid, so resource servers can pick the right key.' : '',
        problems.some((p) => /shorter than 2048/.test(p)) ? 'Use RSA keys of at least 2048 bits (RFC 7518 §3.3).' : '',
        problems.some((p) => /not an object/.test(p)) ? 'Make every entry of "keys" a JWK object (RFC 7517 §5).' : '',
      ].filter(Boolean).join(' ');
      return fail(problems.join('; '), fix, undefined, true);
    }
    return pass(`${keys.length} key(s): ${(keys as Record<string, unknown>[]).map((k) => `${k.kty}${k.alg ? `/${k.alg}` : ''} kid=${safeText(k.kid, 40)}`).join(', ')}`);
  },
};

export const jwksNoPrivate: CheckDef<AppsContext> = {
  id: 'jwks.no-private',
  title: 'The key set holds no private or symmetric key material',
  severity: 'critical',
  impact: 'security',
  step: 'Keys',
  needs: ['jwks.keys'],
  spec: refs('RFC 7517 §4', 'RFC 8414 §2 (jwks_uri)'),
  reads: ['jwks'],
  run(ctx) {
    if (!ctx.s.jwks) return info('no key set to inspect');
    const leaks = ctx.s.jwks.keys.flatMap((k, i) => {
      const found = PRIVATE_MEMBERS.filter((m) => m in k);
      return found.length ? [`key ${i}${typeof k.kid === 'string' ? ` (kid ${safeText(k.kid, 40)})` : ''} exposes ${found.join(', ')}`] : [];
    });
    if (leaks.length) {
      return fail(`the public key set contains private key material: ${leaks.join('; ')}. Anyone can sign tokens your server accepts`,
        'Publish only public keys (export the public JWK); rotate the exposed keys now, they must be considered compromised.');
    }
    return pass('public keys only');
  },
};
