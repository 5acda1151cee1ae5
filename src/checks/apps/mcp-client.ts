/**
 * The doctor as an MCP client over Streamable HTTP, the way ChatGPT calls an MCP server:
 * `initialize` with ChatGPT's protocol version and client info, one POST per JSON-RPC message,
 * and the answer found in a JSON or an SSE body. Shared by the checks that call the MCP server.
 */
import { type HttpResponse } from '../../http/client.js';
import { JsonTooDeep, parseJson } from '../../http/json.js';
import { safeText } from '../../text.js';
import { MCP_CLIENT_INFO, MCP_PROTOCOL_VERSION } from '../../chatgpt/client.js';
import type { AppsContext } from './context.js';

export { MCP_PROTOCOL_VERSION };

export interface McpExchange {
  res: HttpResponse;
  message?: Record<string, unknown>;
  problem?: string;
}

export function initializeRequest(id = 1): Record<string, unknown> {
  return {
    jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { ...MCP_CLIENT_INFO } },
  };
}

export async function mcpPost(ctx: AppsContext, body: unknown, token?: string, session?: { id?: string; version?: string }): Promise<McpExchange> {
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (session?.id) headers['mcp-session-id'] = session.id;
  if (session?.version) headers['mcp-protocol-version'] = session.version;
  const res = await ctx.http.send({ method: 'POST', url: ctx.opts.mcpUrl, headers, json: body });
  const id = (body as { id?: unknown }).id;
  if (res.status === 202 || id === undefined) return { res };
  return { res, ...parseMcpResponse(res, id) };
}

/** Find the JSON-RPC response with `id` in a JSON or SSE body. */
export function parseMcpResponse(res: HttpResponse, id: unknown): { message?: Record<string, unknown>; problem?: string } {
  const ct = (res.header('content-type') ?? '').toLowerCase();
  const text = res.text();
  const candidates: unknown[] = [];
  try {
    if (ct.includes('text/event-stream')) {
      for (const event of text.split(/\r?\n\r?\n/)) {
        const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (data) candidates.push(parseJson(data));
      }
    } else if (ct.includes('json')) {
      const v = parseJson(text);
      if (Array.isArray(v)) candidates.push(...v);
      else candidates.push(v);
    } else {
      return { problem: `answered ${res.status} with ${safeText(ct || 'no content type', 60)}, neither JSON nor an SSE stream` };
    }
  } catch (err) {
    if (err instanceof JsonTooDeep) return { problem: `answered ${res.status} with ${err.message}` };
    return { problem: `answered ${res.status} with a body that is not valid JSON-RPC` };
  }
  const message = candidates.find((m) => m && typeof m === 'object' && (m as { id?: unknown }).id === id) as Record<string, unknown> | undefined;
  if (!message) return { problem: `answered ${res.status} without a JSON-RPC response for request ${String(id)}` };
  return { message };
}
