import type { CheckDef } from '../types.js';
import { fail, pass, skip } from '../types.js';
import { fixFor } from '../advice.js';
import type { ActionsContext } from './context.js';
import { refs } from '../spec.js';

export const noPkce: CheckDef<ActionsContext> = {
  id: 'actions.no-pkce',
  title: 'Authorization and token exchange work without PKCE (GPT Actions send none)',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Authorization',
  spec: refs('OpenAI GPT Actions authentication', 'RFC 7636 §4.4.1 (PKCE is the client\'s choice for confidential clients)'),
  reads: ['auth', 'attempts', 'provider'],
  run(ctx) {
    const results = Object.values(ctx.s.auth);
    const fix = fixFor(ctx.s.provider, {
      clerk: 'set pkce_required to false on this OAuth application (GPT Actions are confidential clients)',
      auth0: 'use a "Regular Web Application" (confidential) for the GPT; it does not require PKCE',
      stytch: 'use a confidential Connected App client for the GPT',
      generic: 'do not require code_challenge for this confidential client; GPT Actions cannot send PKCE (keep requiring it for public clients)',
    });
    const demanded = results.find((r) => !r.ok && r.pkce);
    if (demanded && !demanded.ok) return fail(`the authorization request without code_challenge was refused: ${demanded.reason}`, fix);
    const attempts = Object.values(ctx.s.attempts);
    const verifier = attempts.find((a) => !a.ok && /code_verifier|pkce/i.test(a.res.text()));
    if (verifier && !attempts.some((a) => a.ok)) return fail(`the token exchange without code_verifier was refused: ${verifier.res.text().slice(0, 200)}`, fix);
    if (!results.some((r) => r.ok)) return skip('no authorization succeeded');
    if (!attempts.some((a) => a.ok)) return skip('no token exchange succeeded (see actions.token-exchange-method)');
    return pass('authorization and token exchange succeeded without code_challenge or code_verifier');
  },
};
