import type { CheckDef } from '../types.js';
import { fail, pass, skip } from '../types.js';
import { type ActionsContext } from './context.js';
import { CHATGPT_ACTIONS_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

export const actionsState: CheckDef<ActionsContext> = {
  id: 'actions.state',
  title: 'A long `state` comes back byte-identical',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Authorization',
  spec: refs('RFC 6749 §4.1.2', 'OpenAI GPT Actions authentication ("We require that OAuth applications make use of the state parameter")'),
  reads: ['auth'],
  chatgpt: CHATGPT_ACTIONS_SAYS.state,
  run(ctx) {
    const r = [ctx.s.auth.chatgpt, ctx.s.auth.openai].find((x) => x?.ok);
    if (!r || !r.ok) return skip('no authorization succeeded');
    const got = r.callback.searchParams.get('state');
    if (got === null) return fail('the redirect carried no state', 'Return the state parameter unchanged in the redirect.');
    if (got !== r.state) {
      // Cut short: a column too small; otherwise the characters were rewritten on the way.
      const cut = got.length < r.state.length && r.state.startsWith(got);
      return fail(`state came back changed (${got.length} of ${r.state.length} characters${cut ? '' : ', different characters'})`, cut ? 'Store state as an opaque string of at least 1024 characters (no VARCHAR(255)) and return it byte-for-byte.' : 'Return state byte-for-byte: do not decode, re-encode, trim or replace any of its characters.');
    }
    return pass(`${r.state.length}-character state returned intact`);
  },
};
