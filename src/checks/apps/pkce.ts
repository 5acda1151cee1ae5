/** `pkce.*`: the token endpoint really checks the code_verifier. Each case uses its own fresh code. */
import { fail, info, pass, skip, warn, type Outcome } from '../types.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { wrongVerifier } from '../../oauth/pkce.js';
import { resourceOf } from './context.js';
import { tokenRequestAs } from './token-endpoint.js';
import { authorize, codeOrAbort, isolated, redeemForm, type Authorized, type Code } from './grants.js';
import { registerSecret } from '../../http/redact.js';
import { safeText } from '../../text.js';
import { refs } from '../spec.js';

export const pkceVerifierRequired = isolated<Code>({
  id: 'pkce.verifier-required',
  title: 'A token request without code_verifier after an S256 challenge is refused',
  severity: 'critical',
  impact: 'security',
  step: 'Authorization',
  needs: ['token.exchange'],
  spec: refs('RFC 7636 §4.6', 'RFC 9700 §2.1.1', 'OAuth 2.1 §4.1.3'),
  reads: ['as', 'client', 'prm', 'scopes'],
  writes: ['pkceRequired'],
  logins: 1,
  obtain: (ctx, client) => codeOrAbort(ctx, client.clientId, 'PKCE test without verifier'),
  async judge(ctx, c, client) {
    const form = redeemForm(ctx, c);
    delete (form as Partial<typeof form>).code_verifier;
    const res = await tokenRequestAs(ctx, client, form);
    ctx.s.pkceRequired = res.status !== 200;
    // Whether a wrong verifier is refused is pkce.verifier-checked's evidence and fix: this fix asks
    // only for what this check saw missing (reading that check's result would make this one wait
    // for it, and be skipped whenever its sign-in was not done).
    if (res.status === 200) return fail('tokens were issued without the code_verifier: PKCE is not enforced, so an intercepted code can be redeemed', 'Require code_verifier whenever the authorization request carried a code_challenge (whether a wrong one is refused is pkce.verifier-checked\'s finding).');
    return pass(`refused: ${oauthError(res)}`);
  },
});

export const pkceVerifierChecked = isolated<Code>({
  id: 'pkce.verifier-checked',
  title: 'A wrong code_verifier is refused',
  severity: 'critical',
  impact: 'security',
  step: 'Authorization',
  needs: ['token.exchange'],
  spec: refs('RFC 7636 §4.6', 'RFC 9700 §2.1.1'),
  reads: ['as', 'client', 'prm', 'scopes'],
  writes: ['pkceChecked', 'wrongVerifierError'],
  logins: 1,
  obtain: (ctx, client) => codeOrAbort(ctx, client.clientId, 'PKCE test with a wrong verifier'),
  async judge(ctx, c, client) {
    const res = await tokenRequestAs(ctx, client, { ...redeemForm(ctx, c), code_verifier: wrongVerifier() });
    ctx.s.pkceChecked = res.status !== 200;
    const j = readJsonObject(res, false);
    if (res.status !== 200) ctx.s.wrongVerifierError = j.ok && typeof j.value.error === 'string' ? j.value.error : String(res.status);
    if (res.status === 200) return fail('tokens were issued for a wrong code_verifier: the verifier is not compared with the challenge', 'Compute BASE64URL(SHA256(code_verifier)) and compare it with the stored code_challenge.');
    return pass(`refused: ${oauthError(res)}`);
  },
});

/** The public client's code redeemed without a verifier: refused, or PKCE is optional for it. */
/**
 * What an authorization request the server should refuse came back with: its code (registered
 * for redaction), or the outcome — a pass when it was refused (an error page, an `error` on the
 * callback, no code), else the sign-in's own outcome (incomplete, declined).
 */
function codeOrRefusal(got: Authorized | { outcome: Outcome }, request: string): Outcome | { code: string; authorized: Authorized } {
  if ('outcome' in got) {
    if (got.outcome.status === 'fail') return pass(`the authorization request ${request} ended on an error page (${got.outcome.detail.slice(0, 160)})`);
    return got.outcome;
  }
  const error = got.callback.searchParams.get('error');
  if (error) return pass(`refused at the authorization endpoint: ${safeText(error, 60)}`);
  const code = got.callback.searchParams.get('code');
  if (!code) return pass(`no code was issued for the request ${request}`);
  registerSecret(code, 'code');
  return { code, authorized: got };
}

export const pkceRequired = isolated<Authorized | { outcome: Outcome } | undefined>({
  id: 'pkce.required',
  title: 'A public client\'s authorization request without code_challenge is refused (or its code cannot be redeemed)',
  severity: 'high',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  spec: refs('OAuth 2.1 §4.1.1', 'OAuth 2.1 §7.5.1', 'MCP 2025-11-25 Authorization §Authorization Code Protection'),
  reads: ['as', 'client', 'prm', 'scopes'],
  writes: ['codeWithoutPkce'],
  logins: 1,
  async obtain(ctx, client) {
    if (client.authMethod !== 'none') return undefined;
    return authorize(ctx, client.clientId, 'PKCE test: no code_challenge', { pkce: false });
  },
  async judge(ctx, got, client) {
    if (!got) return info('the run\'s client is confidential; PKCE is required of public clients (ChatGPT\'s)');
    const issued = codeOrRefusal(got, 'without code_challenge');
    if (!('code' in issued)) return issued;
    const { code, authorized } = issued;
    ctx.s.codeWithoutPkce = true;
    const res = await tokenRequestAs(ctx, client, { grant_type: 'authorization_code', code, redirect_uri: authorized.redirectUri, resource: resourceOf(ctx) });
    if (res.status === 200) {
      return fail('a public client got tokens for an authorization request without code_challenge: PKCE is optional, so an intercepted code can be redeemed',
        'Require code_challenge (S256) in every authorization request from a public client (token_endpoint_auth_method "none"), as OAuth 2.1 §4.1.1 and the MCP spec do.');
    }
    return pass(`a code was issued without code_challenge, but redeeming it was refused (${oauthError(res)})`);
  },
});

/** RFC 9700 §2.1.1: a code_verifier for a code issued without code_challenge must be refused. */
export const pkceDowngrade = isolated<Code | undefined>({
  id: 'pkce.downgrade',
  title: 'A code_verifier for a code issued without code_challenge is refused (no PKCE downgrade)',
  severity: 'high',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  spec: refs('RFC 9700 §2.1.1', 'OAuth 2.1 §4.1.3'),
  reads: ['as', 'client', 'prm', 'scopes', 'codeWithoutPkce'],
  logins: 1,
  // What it obtains depends on pkce.required's finding, so it signs in once that is known.
  async obtain() { return undefined; },
  async judge(ctx, _unused, client) {
    if (!ctx.s.codeWithoutPkce) return pass('the server issues no code without code_challenge, so there is nothing to downgrade');
    const c = await codeOrAbort(ctx, client.clientId, 'PKCE downgrade test', { pkce: false });
    const res = await tokenRequestAs(ctx, client, { ...redeemForm(ctx, c), code_verifier: wrongVerifier() });
    if (res.status === 200) {
      return fail('a token request with a code_verifier was accepted for a code issued without code_challenge: an attacker who injects a stolen code need not know any challenge (PKCE downgrade)',
        'Refuse a token request that carries code_verifier when the authorization request had no code_challenge (RFC 9700 §2.1.1).');
    }
    return pass(`refused: ${oauthError(res)}`);
  },
});

/**
 * RFC 9700 §2.1.1: a client SHOULD use a challenge method that does not expose the verifier, and
 * S256 is the only one. A server that advertises only S256 yet takes code_challenge_method=plain
 * lets a downgraded request through silently (the verifier travels in the authorization request).
 */
export const pkcePlainRefused = isolated<Authorized | { outcome: Outcome } | undefined>({
  id: 'pkce.plain-refused',
  title: 'code_challenge_method=plain is refused when the metadata advertises only S256',
  severity: 'low',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  spec: refs('RFC 9700 §2.1.1', 'RFC 7636 §4.2', 'RFC 8414 §2', 'MCP 2025-11-25 Authorization §Authorization Code Protection'),
  reads: ['as', 'client', 'prm', 'scopes'],
  logins: 1,
  async obtain(ctx, client) {
    const methods = ctx.s.as?.code_challenge_methods_supported;
    if (!Array.isArray(methods) || methods.includes('plain')) return undefined;
    return authorize(ctx, client.clientId, 'PKCE test: code_challenge_method=plain', { pkceMethod: 'plain' });
  },
  async judge(ctx, got, client) {
    if (!got) return skip('the metadata does not advertise S256 alone (code_challenge_methods_supported), so plain is not a downgrade of what it promises');
    const issued = codeOrRefusal(got, 'with code_challenge_method=plain');
    if (!('code' in issued)) return issued;
    const { code, authorized } = issued;
    const res = await tokenRequestAs(ctx, client, redeemForm(ctx, { ...authorized, code }));
    if (res.status === 200) {
      return warn('the metadata advertises only S256, but an authorization request with code_challenge_method=plain got a code that its plain verifier redeemed: a silent downgrade, in which the verifier travels in the authorization request',
        'Refuse code_challenge_method values the metadata does not list (RFC 9700 §2.1.1: S256 is the method that does not expose the verifier).');
    }
    return pass(`a code was issued for code_challenge_method=plain, but its plain verifier was refused (${oauthError(res)}): the challenge is not treated as plain`);
  },
});
