/** The GPT editor's vocabulary: GPT ids, callback URLs and the six OAuth fields. */
import { UsageError } from '../errors.js';
import { mask } from '../http/redact.js';
import { GPT_URL_RE, gptCallbackUrls } from '../chatgpt/redirects.js';

export { gptCallbackUrls };

/**
 * Validate a GPT id: `g-` followed by its id, optionally a `-slug` (as in the GPT's URL); a whole
 * `https://chatgpt.com/g/g-…` URL is accepted too. Returns the id ChatGPT uses in callbacks.
 */
export function parseGptId(raw: string | undefined): string {
  if (!raw) {
    throw new UsageError('missing --gpt-id: save the GPT once in the editor, then copy its id (g-…) from the URL https://chatgpt.com/g/g-…',
      'It is also shown in the callback URL under Configure → Actions → Authentication.');
  }
  let s = raw.trim();
  const fromUrl = GPT_URL_RE.exec(s);
  if (fromUrl) s = fromUrl[1]!;
  const m = /^g-([A-Za-z0-9]{6,64})(?:-[a-z0-9][a-z0-9-]*)?$/.exec(s);
  if (!m) {
    throw new UsageError(`"${raw.slice(0, 80)}" is not a GPT id: expected g- followed by letters and digits (optionally -slug), e.g. g-AbC123xyz or g-AbC123xyz-my-gpt`);
  }
  return `g-${m[1]}`;
}


export type ExchangeMethod = 'default_post' | 'basic_auth_header';
export const EXCHANGE_LABEL: Record<ExchangeMethod, string> = {
  default_post: 'Default (POST request)',
  basic_auth_header: 'Basic authorization header',
};

/** What to paste into the GPT editor (Configure → Actions → Authentication → OAuth). */
export interface GptEditorFields {
  clientId: string;
  clientSecret: string; // masked
  authorizationUrl: string;
  tokenUrl: string;
  scope: string;
  tokenExchangeMethod: string | null;
  callbackUrls: string[];
}

export function gptEditorFields(o: { clientId: string; clientSecret?: string; authUrl: string; tokenUrl: string; scope: string; method?: ExchangeMethod; gptId: string }): GptEditorFields {
  const cb = gptCallbackUrls(o.gptId);
  return {
    clientId: o.clientId,
    clientSecret: mask(o.clientSecret),
    authorizationUrl: o.authUrl,
    tokenUrl: o.tokenUrl,
    scope: o.scope,
    tokenExchangeMethod: o.method ? EXCHANGE_LABEL[o.method] : null,
    callbackUrls: [cb.chatgpt, cb.openai],
  };
}
