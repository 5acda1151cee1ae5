import type { CheckDef } from '../types.js';
import { pass, skip, warn } from '../types.js';
import { authorize, type ActionsContext } from './context.js';
import { refs } from '../spec.js';

export const emptyScope: CheckDef<ActionsContext> = {
  id: 'actions.empty-scope',
  title: 'An empty `scope=` is handled',
  severity: 'low',
  impact: 'chatgpt',
  step: 'Authorization',
  needs: ['actions.callback-urls'],
  spec: refs('RFC 6749 §3.3'),
  reads: ['auth'],
  logins: 1,
  async run(ctx) {
    if (ctx.opts.scope === '') {
      const r = ctx.s.auth.chatgpt;
      return r?.ok ? pass('the Scope field is empty and the authorization with scope= worked') : skip('no authorization succeeded');
    }
    const r = await authorize(ctx, 'chatgpt', 'authorization with an empty scope', '');
    if (r.ok) return pass('an authorization with scope= (as ChatGPT sends when the Scope field is empty) worked');
    return warn(`an authorization with an empty scope= was refused (${r.reason})`, `Keep the GPT editor's Scope field filled in ("${ctx.opts.scope}"); if it is ever cleared ChatGPT sends scope= and sign-in fails.`);
  },
};
