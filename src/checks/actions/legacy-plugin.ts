import type { CheckDef } from '../types.js';
import { pass, skip, warn } from '../types.js';
import { readJsonObject } from '../../http/json.js';
import { safeText } from '../../text.js';
import { HttpFailure } from '../../http/client.js';
import type { ActionsContext } from './context.js';
import { refs } from '../spec.js';

/** Map a retired plugin manifest's `auth` block onto the GPT editor's fields. */
function pluginToGptFields(auth: Record<string, unknown>): Record<string, string> {
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    'Authorization URL': s(auth.client_url),
    'Token URL': s(auth.authorization_url),
    Scope: s(auth.scope),
    'Token Exchange Method': 'Default (POST request)',
  };
}

export const legacyPlugin: CheckDef<ActionsContext> = {
  id: 'actions.legacy-plugin',
  title: 'No retired ChatGPT plugin manifest is still relied on',
  severity: 'low',
  impact: 'interop',
  step: 'Configuration',
  spec: refs('OpenAI plugins authentication (retired)'),
  async run(ctx) {
    if (!ctx.opts.apiUrl) return skip('no API URL');
    const url = `${new URL(ctx.opts.apiUrl).origin}/.well-known/ai-plugin.json`;
    let res;
    try {
      res = await ctx.http.send({ url });
    } catch (err) {
      if (err instanceof HttpFailure && err.kind !== 'deadline') return pass(`no plugin manifest at ${url} (${err.message})`);
      throw err;
    }
    const j = res.status === 200 ? readJsonObject(res, false) : undefined;
    if (!j?.ok) return pass(`no plugin manifest at ${url} (nothing to migrate)`);
    const auth = j.value.auth as Record<string, unknown> | undefined;
    if (!auth || auth.type !== 'oauth') return warn(`${url} is a ChatGPT plugin manifest (plugins were retired by OpenAI) with auth type ${safeText(auth?.type ?? 'none', 30)}`, 'Remove the manifest once the GPT Action replaces the plugin.');
    const fields = pluginToGptFields(auth);
    const mapping = Object.entries(fields).map(([k, v]) => `${k} = ${safeText(v, 200)}`).join('; ');
    const ct = safeText(auth.authorization_content_type ?? 'application/x-www-form-urlencoded', 60);
    const jsonNote = /json/.test(ct) ? ' The plugin declared a JSON token request; GPT Actions always send form-encoded requests, so the token endpoint must accept that.' : '';
    return warn(`${url} is a ChatGPT plugin manifest; plugins were retired by OpenAI. Its OAuth block maps onto the GPT editor as: ${mapping}.${jsonNote}`,
      'Create a GPT with an Action using these values, register the GPT\'s callback URLs, then remove the plugin manifest (verification_tokens are no longer used).');
  },
};
