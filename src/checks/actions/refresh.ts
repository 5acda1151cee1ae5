import type { CheckDef } from '../types.js';
import { fail, pass, warn } from '../types.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { EXCHANGE_LABEL } from '../../gpt-actions/gpt.js';
import { actionsTokenRequest, type ActionsContext } from './context.js';
import { CHATGPT_ACTIONS_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

export const actionsRefresh: CheckDef<ActionsContext> = {
  id: 'actions.refresh',
  title: 'The refresh grant works with the chosen exchange method',
  severity: 'medium',
  impact: 'chatgpt',
  step: 'Refresh',
  needs: ['actions.token-exchange-method'],
  spec: refs('RFC 6749 §6', 'OpenAI GPT Actions authentication (refresh_token)'),
  reads: ['method', 'refreshToken', 'provider'],
  writes: ['refreshToken', 'accessToken'],
  async run(ctx) {
    if (!ctx.s.refreshToken) {
      return warn('no refresh token was issued; users must sign in again when the access token expires',
        'Return a refresh_token (often by granting offline_access) so ChatGPT can renew the access token.');
    }
    const res = await actionsTokenRequest(ctx, ctx.s.method!, { grant_type: 'refresh_token', refresh_token: ctx.s.refreshToken });
    const j = readJsonObject(res, false);
    if (res.status !== 200 || !j.ok || typeof j.value.access_token !== 'string') {
      return fail(`refresh with ${EXCHANGE_LABEL[ctx.s.method!]} was refused: ${oauthError(res)}`,
        'Accept grant_type=refresh_token with the same client authentication as the code exchange, without scope or redirect_uri.',
        CHATGPT_ACTIONS_SAYS.missingToken(ctx.opts.tokenUrl));
    }
    if (typeof j.value.refresh_token === 'string') ctx.s.refreshToken = j.value.refresh_token;
    ctx.s.accessToken = j.value.access_token;
    return pass(`new access token${typeof j.value.refresh_token === 'string' ? ' and refresh token' : ''} with ${EXCHANGE_LABEL[ctx.s.method!]}`);
  },
};
