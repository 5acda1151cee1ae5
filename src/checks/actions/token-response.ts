import type { CheckDef } from '../types.js';
import { fail, pass, skip } from '../types.js';
import { safeText } from '../../text.js';
import type { ActionsContext } from './context.js';
import { refs } from '../spec.js';
import { tokenResponseFix, tokenResponseProblems } from '../../oauth/token-response.js';

export const tokenResponse: CheckDef<ActionsContext> = {
  id: 'actions.token-response',
  title: 'Token response is JSON with access_token, token_type bearer and numeric expires_in',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Tokens',
  needs: ['actions.token-exchange-method'],
  spec: refs('RFC 6749 §5.1', 'OpenAI GPT Actions authentication (token response)'),
  reads: ['method', 'attempts'],
  run(ctx) {
    const t = ctx.s.method && ctx.s.attempts[ctx.s.method];
    if (!t) return skip('no successful token exchange');
    const ct = (t.res.header('content-type') ?? '').toLowerCase();
    if (!t.body) {
      if (ct.includes('x-www-form-urlencoded') || /^access_token=/.test(t.res.text())) {
        return fail(`the token response is form-encoded (${safeText(ct || 'no content type', 60)}), not JSON; ChatGPT reads it as JSON and finds no access token`,
          'Answer with application/json; GitHub-style endpoints need the Accept: application/json header, which ChatGPT does not send — put a small proxy in front.', undefined, true);
      }
      return fail(`the token response is not JSON (${safeText(ct || 'no content type', 60)})`, 'Answer with a JSON object (application/json).', undefined, true);
    }
    const b = t.body;
    const problems = tokenResponseProblems(ct, b);
    if (problems.length) {
      // The fix names what is wrong, not the fields the response has right.
      return fail(problems.join('; '), tokenResponseFix(ct, b), undefined, true);
    }
    return pass(`access_token, token_type ${safeText(b.token_type, 20)}, expires_in ${b.expires_in ?? 'absent'}${typeof b.refresh_token === 'string' ? ', refresh_token' : ''}`);
  },
};
