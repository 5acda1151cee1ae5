/** `pkce.*`: the token endpoint really checks the code_verifier. Each case uses its own fresh code. */
import type { CheckDef } from '../types.js';
import { fail, pass } from '../types.js';
import { oauthError } from '../../http/json.js';
import { randomToken } from '../../oauth/pkce.js';
import { expectRefused } from './token.js';
import type { AppsContext } from './context.js';
import { refs } from '../spec.js';

export const pkceVerifierRequired: CheckDef<AppsContext> = {
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
  async run(ctx) {
    const { res } = await expectRefused(ctx, 'PKCE test without verifier', (f) => { delete f.code_verifier; });
    ctx.s.pkceRequired = res.status !== 200;
    if (res.status === 200) return fail('tokens were issued without the code_verifier: PKCE is not enforced, so an intercepted code can be redeemed', 'Require code_verifier whenever the authorization request carried a code_challenge, and verify it.');
    return pass(`refused: ${oauthError(res)}`);
  },
};

export const pkceVerifierChecked: CheckDef<AppsContext> = {
  id: 'pkce.verifier-checked',
  title: 'A wrong code_verifier is refused',
  severity: 'critical',
  impact: 'security',
  step: 'Authorization',
  needs: ['token.exchange'],
  spec: refs('RFC 7636 §4.6', 'RFC 9700 §2.1.1'),
  reads: ['as', 'client', 'prm', 'scopes'],
  writes: ['pkceChecked'],
  logins: 1,
  async run(ctx) {
    const { res } = await expectRefused(ctx, 'PKCE test with a wrong verifier', (f) => { f.code_verifier = randomToken(32); });
    ctx.s.pkceChecked = res.status !== 200;
    if (res.status === 200) return fail('tokens were issued for a wrong code_verifier: the verifier is not compared with the challenge', 'Compute BASE64URL(SHA256(code_verifier)) and compare it with the stored code_challenge.');
    return pass(`refused: ${oauthError(res)}`);
  },
};
