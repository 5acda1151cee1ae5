import type { CheckDef } from '../types.js';
import { as, fail, pass, skip, warn } from '../types.js';
import { randomToken } from '../../oauth/pkce.js';
import type { ActionsContext } from './context.js';
import { refs } from '../spec.js';

export const apiCall: CheckDef<ActionsContext> = {
  id: 'actions.api-call',
  title: 'The API accepts the token and refuses a garbage token with 401',
  severity: 'critical',
  impact: 'chatgpt',
  // Its garbage-token half is a security test: the security verdict rests on it too.
  alsoJudges: ['security'],
  step: 'API',
  needs: ['actions.token-exchange-method'],
  spec: refs('RFC 6750 §2.1, §3.1', 'OpenAI GPT Actions production notes (45 s timeout, 100 000 characters)'),
  reads: ['accessToken'],
  async run(ctx) {
    if (!ctx.opts.apiUrl) return skip('no API URL: pass --api-url with a protected GET endpoint, or --openapi');
    if (!ctx.s.accessToken) return skip('no access token');
    const good = await ctx.http.send({ url: ctx.opts.apiUrl, headers: { authorization: `Bearer ${ctx.s.accessToken}`, accept: 'application/json' } });
    if (good.status < 200 || good.status >= 300) {
      return fail(`GET ${ctx.opts.apiUrl} with the access token answered ${good.status}`, 'Make the API accept access tokens from this authorization server (check issuer, audience and the verification key).');
    }
    const bad = await ctx.http.send({ url: ctx.opts.apiUrl, headers: { authorization: `Bearer gpt-oauth-invalid-${randomToken(12)}`, accept: 'application/json' } });
    if (bad.status >= 200 && bad.status < 300) return as('security', fail(`a garbage token was ACCEPTED (${bad.status}): the API does not check tokens`, 'Verify every bearer token and answer invalid ones with 401.'));
    const size = good.body.length > 100_000 ? `; the response is ${good.body.length} bytes, over ChatGPT's 100 000-character limit` : '';
    if (bad.status !== 401) return warn(`the token works (${good.status}); a garbage token got ${bad.status} instead of 401${size}`, 'Answer invalid or expired tokens with 401 so ChatGPT asks the user to sign in again.');
    if (size) return warn(`the token works and a garbage token gets 401${size}`, 'Keep responses under 100 000 characters.');
    return pass(`with the token: ${good.status}; with a garbage token: 401`);
  },
};
