/**
 * Fetching discovery documents as ChatGPT does: every candidate URL requested at once, judged in
 * the order ChatGPT tries them, redirects reported and never followed. Used by prm.* and as.*.
 */
import { HttpFailure, type HttpClient, type HttpResponse } from '../../http/client.js';
import { providerError, readJsonObject } from '../../http/json.js';

/**
 * GET these URLs at once (discovery candidates whose answers are judged later, in order). A
 * failure surfaces where the answer is awaited; one never awaited (a candidate after the one that
 * won) is dropped quietly.
 */
export function prefetch(http: HttpClient, urls: string[]): Map<string, Promise<HttpResponse>> {
  const out = new Map<string, Promise<HttpResponse>>();
  for (const url of urls) {
    if (out.has(url)) continue;
    const p = http.send({ url });
    p.catch(() => undefined);
    out.set(url, p);
  }
  return out;
}

/**
 * The first of the candidate URLs, in order as ChatGPT tries them during discovery, that
 * answers 200 with a JSON object `accept` takes (it returns a problem string to reject one).
 * Every miss before it is described. All candidates are requested at once (or were already,
 * in `started`) and judged in order, so the winner is the one a sequential client would find.
 * Redirects are reported, never followed.
 */
export async function firstJsonDocument<T = Record<string, unknown>>(
  http: HttpClient,
  candidates: { url: string; how: string }[],
  accept: (value: T) => string | undefined = () => undefined,
  started?: Map<string, Promise<HttpResponse>>,
): Promise<{ found?: { url: string; how: string; value: T }; attempts: string[] }> {
  const fresh = prefetch(http, candidates.map((c) => c.url).filter((u) => !started?.has(u)));
  const attempts: string[] = [];
  for (const c of candidates) {
    const miss = (why: string) => attempts.push(`${c.how} ${c.url}: ${why}`);
    let res: HttpResponse;
    try {
      res = await (started?.get(c.url) ?? fresh.get(c.url)!);
    } catch (err) {
      // The run's own --deadline, or a rate limit, is not the server's miss: the check is incomplete.
      if (err instanceof HttpFailure && err.kind !== 'deadline' && err.kind !== 'rate-limited') { miss(err.message); continue; }
      throw err;
    }
    if (res.status >= 300 && res.status < 400) { miss(`redirect ${res.status} (not followed, as ChatGPT does not)`); continue; }
    if (res.status !== 200) {
      // A provider's error body says why (Supabase: 404 "feature_disabled: OAuth server is disabled").
      const said = res.status >= 400 ? providerError(res) : undefined;
      miss(`${res.status}${said ? ` (${said})` : ''}`);
      continue;
    }
    const json = readJsonObject<T>(res);
    if (!json.ok) { miss(json.problem); continue; }
    const problem = accept(json.value);
    if (problem) { miss(problem); continue; }
    return { found: { ...c, value: json.value }, attempts };
  }
  return { attempts };
}
