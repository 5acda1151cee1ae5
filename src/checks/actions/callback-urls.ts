import type { CheckDef } from '../types.js';
import { fail, incomplete, pass, skip } from '../types.js';
import { fixFor } from '../advice.js';
import { invocation } from '../../invocation.js';
import { shellQuote } from '../../text.js';
import { authorize, callbackFor, type ActionsContext } from './context.js';
import { CHATGPT_ACTIONS_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

export const callbackUrls: CheckDef<ActionsContext> = {
  id: 'actions.callback-urls',
  title: 'Authorization accepts both ChatGPT callback URLs (chatgpt.com and chat.openai.com)',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Authorization',
  spec: refs('OpenAI GPT Actions authentication (callback URL)', 'RFC 6749 §3.1.2'),
  reads: ['provider'],
  writes: ['auth'],
  logins: 2,
  chatgpt: CHATGPT_ACTIONS_SAYS.redirect,
  async run(ctx) {
    ctx.s.auth.chatgpt = await authorize(ctx, 'chatgpt', 'GPT callback on chatgpt.com');
    ctx.s.auth.openai = await authorize(ctx, 'openai', 'GPT callback on chat.openai.com');
    const results = [ctx.s.auth.chatgpt, ctx.s.auth.openai];
    const lost = results.find((r) => !r.ok && r.incomplete);
    if (lost && !lost.ok && results.every((r) => !r.ok && r.incomplete)) return incomplete(`the doctor could not sign in: ${lost.reason}`, lost.incomplete?.hint);
    if (results.some((r) => !r.ok && r.pkce)) return skip('the authorization server demands PKCE, so no callback could be tested; see actions.no-pkce');
    const refused = results.filter((r) => !r.ok);
    if (!refused.length) return pass(`both accepted: ${callbackFor(ctx, 'chatgpt')} and ${callbackFor(ctx, 'openai')}`);
    // `callbacks add` merges both URLs into the app's list on all four providers (read-merge-write).
    const command = `\`${invocation()} callbacks add --provider ${ctx.s.provider} --app ${shellQuote(ctx.opts.clientId)} --gpt-id ${shellQuote(ctx.opts.gptId)}\` does it`;
    const fix = fixFor(ctx.s.provider, {
      auth0: `add both URLs to the application's "Allowed Callback URLs"; ${command}`,
      clerk: `add both URLs to the OAuth application's redirect URIs; ${command}`,
      stytch: `add both URLs to the Connected App's redirect_urls; ${command}`,
      supabase: `add both URLs to the OAuth client's redirect URIs; ${command}`,
      generic: `register both callback URLs with the client: ${callbackFor(ctx, 'chatgpt')} and ${callbackFor(ctx, 'openai')} (ChatGPT uses either, depending on the user)`,
    });
    const detail = refused.map((r) => `${r.redirectUri} was refused (${r.ok ? '' : r.reason})`).join('; ');
    return fail(`${detail}${refused.length === 1 ? '; users on the other ChatGPT host can sign in, these cannot' : ''}`, fix, undefined, refused.length === 1);
  },
};
