import type { CheckDef } from '../types.js';
import { fail, incomplete, pass } from '../types.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { EXCHANGE_LABEL, type ExchangeMethod } from '../../gpt-actions/gpt.js';
import { fixFor } from '../advice.js';
import { actionsTokenRequest, authorize, type ActionsContext, type AuthResult } from './context.js';
import { CHATGPT_ACTIONS_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

/** Did the exchange work? A form-encoded or otherwise odd body still counts: actions.token-response judges the body. */
function worked(status: number, text: string): boolean {
  return status === 200 && /access_token/.test(text);
}

export const tokenExchangeMethod: CheckDef<ActionsContext> = {
  id: 'actions.token-exchange-method',
  title: 'The token endpoint accepts "Default (POST request)" or "Basic authorization header"',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Tokens',
  needs: ['actions.callback-urls'],
  spec: refs('RFC 6749 §2.3.1, §4.1.3', 'OpenAI GPT Actions authentication (Token Exchange Method)'),
  reads: ['auth', 'provider'],
  writes: ['attempts', 'method', 'accessToken', 'refreshToken'],
  async run(ctx) {
    // Each method gets its own code: POST the chatgpt.com callback's, Basic the other's (or a fresh one).
    const unused = [ctx.s.auth.chatgpt, ctx.s.auth.openai].filter((x): x is Extract<AuthResult, { ok: true }> => !!x?.ok);
    const working = ctx.s.auth.chatgpt?.ok ? 'chatgpt' : 'openai';
    for (const method of ['default_post', 'basic_auth_header'] as ExchangeMethod[]) {
      const a: AuthResult = unused.shift() ?? await authorize(ctx, working, `a fresh code for ${EXCHANGE_LABEL[method]}`);
      if (!a.ok) continue;
      const res = await actionsTokenRequest(ctx, method, { grant_type: 'authorization_code', code: a.code, redirect_uri: a.redirectUri });
      const j = readJsonObject(res, false);
      ctx.s.attempts[method] = { method, res, ok: worked(res.status, res.text()), body: j.ok ? j.value : undefined };
    }
    const post = ctx.s.attempts.default_post;
    const basic = ctx.s.attempts.basic_auth_header;
    const describe = (m: ExchangeMethod) => {
      const a = ctx.s.attempts[m];
      return `${EXCHANGE_LABEL[m]}: ${!a ? 'not tried (no code)' : a.ok ? 'works' : `refused (${oauthError(a.res)})`}`;
    };
    const chosen = post?.ok ? 'default_post' : basic?.ok ? 'basic_auth_header' : undefined;
    // Both methods refused the client: the id or secret the tester gave is wrong, not the server.
    if (!chosen && post && basic && [post, basic].every((a) => /invalid_client/.test(a.res.text()))) {
      return incomplete(`both exchange methods were refused with invalid_client. ${describe('default_post')}; ${describe('basic_auth_header')}`,
        'check --client-id and the client secret (GPT_OAUTH_CLIENT_SECRET, --client-secret-env or --client-secret-stdin): they must be the GPT editor\'s');
    }
    if (!chosen) {
      return fail(`neither method worked. ${describe('default_post')}; ${describe('basic_auth_header')}`,
        fixFor(ctx.s.provider, {
          auth0: 'set the application\'s Token Endpoint Authentication Method to "Post" and pick "Default (POST request)"',
          generic: 'check the client id and secret, and that the token endpoint accepts form-encoded requests with the secret in the body (client_secret_post) or in a Basic header (client_secret_basic)',
        }), CHATGPT_ACTIONS_SAYS.missingToken(ctx.opts.tokenUrl));
    }
    ctx.s.method = chosen;
    const t = ctx.s.attempts[chosen]!;
    const j = readJsonObject(t.res, false);
    const body = j.ok ? j.value : Object.fromEntries(new URLSearchParams(t.res.text()));
    if (typeof body.access_token === 'string') ctx.s.accessToken = body.access_token;
    if (typeof body.refresh_token === 'string') ctx.s.refreshToken = body.refresh_token;
    return pass(`${describe('default_post')}; ${describe('basic_auth_header')}. In the GPT editor select Token Exchange Method "${EXCHANGE_LABEL[chosen]}"`);
  },
};
