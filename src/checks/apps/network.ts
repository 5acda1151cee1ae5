/**
 * `network.*`: what stands between ChatGPT and the server before OAuth even starts. ChatGPT's
 * discovery, registration and MCP calls come from OpenAI's servers with Python HTTP clients, not
 * from a browser; bot protection (Cloudflare Bot Fight Mode, WAF rules) that blocks those
 * User-Agents breaks "Connect" while every browser-based test passes.
 */
import type { CheckDef } from '../types.js';
import { fail, pass } from '../types.js';
import { HttpFailure, type HttpResponse } from '../../http/client.js';
import { safeText } from '../../text.js';
import { type AppsContext } from './context.js';
import { initializeRequest } from './mcp-client.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { SERVER_USER_AGENTS } from '../../chatgpt/headers.js';
import { refs } from '../spec.js';


export const networkServerUserAgent: CheckDef<AppsContext> = {
  id: 'network.server-user-agent',
  title: "ChatGPT's server-side User-Agents get the same answers (no bot protection in the way)",
  severity: 'high',
  impact: 'chatgpt',
  step: 'Discovery',
  needs: ['prm.document'],
  spec: refs('OpenAI Apps SDK: Authentication (requests come from OpenAI servers)', 'RFC 9110 §10.1.5'),
  reads: ['challenge', 'prmUrl', 'asUrl'],
  chatgpt: CHATGPT_SAYS.fetchConfig,
  async run(ctx) {
    // What the doctor's own requests got, which the earlier checks already judged.
    const endpoints: { label: string; expect: number; send: (ua: string) => Promise<HttpResponse> }[] = [
      {
        label: `POST ${ctx.opts.mcpUrl} (no token)`, expect: ctx.s.challenge?.status ?? 401,
        send: (ua) => ctx.http.send({ method: 'POST', url: ctx.opts.mcpUrl, headers: { 'user-agent': ua, accept: 'application/json, text/event-stream', 'content-type': 'application/json' }, json: initializeRequest() }),
      },
      { label: `GET ${ctx.s.prmUrl}`, expect: 200, send: (ua) => ctx.http.send({ url: ctx.s.prmUrl!, headers: { 'user-agent': ua, accept: 'application/json' } }) },
    ];
    if (ctx.s.asUrl) endpoints.push({ label: `GET ${ctx.s.asUrl}`, expect: 200, send: (ua) => ctx.http.send({ url: ctx.s.asUrl!, headers: { 'user-agent': ua, accept: 'application/json' } }) });

    let cloudflare = false;
    // Every User-Agent at every endpoint at once; the findings keep the User-Agent × endpoint order.
    const answers = await Promise.all(SERVER_USER_AGENTS.flatMap((ua) => endpoints.map(async (e): Promise<string | undefined> => {
      let got: string;
      try {
        const res = await e.send(ua);
        if (res.status === e.expect) return undefined;
        cloudflare ||= !!res.header('cf-mitigated') || /cloudflare/i.test(res.header('server') ?? '');
        const type = (res.header('content-type') ?? '').split(';')[0];
        got = `${res.status}${type ? ` ${safeText(type, 40)}` : ''}${res.header('cf-mitigated') ? ` (cf-mitigated: ${safeText(res.header('cf-mitigated'), 20)})` : ''}`;
      } catch (err) {
        if (err instanceof HttpFailure && err.kind === 'deadline') throw err;
        got = err instanceof HttpFailure ? err.message : String(err);
      }
      return `${safeText(e.label, 200)} as "${ua}" got ${got}, not ${e.expect} as for the doctor's own requests`;
    })));
    const blocked = answers.filter((a): a is string => a !== undefined);
    if (blocked.length) {
      return fail(blocked.join('; '),
        `ChatGPT calls these URLs from OpenAI's servers with Python HTTP clients. Let them through: ${cloudflare ? 'Cloudflare: turn off Bot Fight Mode for this host, or add a WAF skip rule for the MCP path, /.well-known/* and the OAuth endpoints' : 'allow these User-Agents (or OpenAI\'s published egress IP ranges) in your WAF / bot protection / reverse proxy for the MCP path, /.well-known/* and the OAuth endpoints'}.`);
    }
    return pass(`${endpoints.length} endpoint(s) answer ${SERVER_USER_AGENTS.map((u) => `"${u}"`).join(' and ')} as they answer the doctor`);
  },
};
