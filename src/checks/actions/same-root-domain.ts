import { getDomain } from 'tldts';
import type { CheckDef } from '../types.js';
import { fail, pass, skip } from '../types.js';
import type { ActionsContext } from './context.js';
import { refs } from '../spec.js';

/** OAuth hosts OpenAI exempts from the rule ("with the exception of Google, Microsoft and Adobe"). */
const EXEMPT = /(^|\.)(google\.com|googleapis\.com|microsoftonline\.com|live\.com|microsoft\.com|adobelogin\.com|adobe\.com)$/;

/** The registrable domain (eTLD+1, public suffix list incl. private suffixes); IPs and single labels as they are. */
function registrableDomain(host: string): string {
  return getDomain(host, { allowPrivateDomains: true }) ?? host;
}

export const sameRootDomain: CheckDef<ActionsContext> = {
  id: 'actions.same-root-domain',
  title: 'Authorization URL, token URL and API share one registrable domain',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Configuration',
  spec: refs('OpenAI GPT Actions production notes ("all domains used in an OAuth flow must be the same as the domain used for the primary endpoints")'),
  run(ctx) {
    if (!ctx.opts.apiUrl) return skip('no API URL (--api-url or the OpenAPI servers) to compare with');
    const hosts = { 'Authorization URL': new URL(ctx.opts.authUrl).hostname, 'Token URL': new URL(ctx.opts.tokenUrl).hostname, API: new URL(ctx.opts.apiUrl).hostname };
    const api = registrableDomain(hosts.API);
    const off: string[] = [];
    const exempt: string[] = [];
    for (const [field, host] of Object.entries(hosts)) {
      if (field === 'API') continue;
      if (EXEMPT.test(host)) exempt.push(`${field} ${host}`);
      else if (registrableDomain(host) !== api) off.push(`${field} is on ${registrableDomain(host)} (${host})`);
    }
    if (off.length) {
      return fail(`the API is on ${api} but ${off.join(' and ')}; ChatGPT only allows OAuth hosts on the API's root domain (Google, Microsoft and Adobe excepted)`,
        `Serve the authorization and token endpoints under ${api} (for example auth.${api}, a custom domain on your provider, or a proxy of /oauth/authorize and /oauth/token on the API's host).`);
    }
    const note = exempt.length ? ` (${exempt.join(', ')}: exempt OAuth host)` : '';
    return pass(`all on ${api}${note}`);
  },
};
