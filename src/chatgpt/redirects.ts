/**
 * Where ChatGPT sends the browser back after sign-in. Every redirect URI gpt-oauth uses, tests or
 * registers comes from here.
 *
 * Sources: ../shared/reference/chatgpt-requirements.md §0 (timeline), A2, B6, B11.
 */

/**
 * The stable connector redirect. OpenAI Apps SDK auth docs (2025); "stable" since the plugins
 * changelog "Stable OAuth callbacks and CIMD client IDs" (Aug 2026) when the PRM and the OAuth
 * metadata name the same AS and it supports RFC 9207 `iss`. Last confirmed 2026-09-08.
 */
export const CONNECTOR_REDIRECT = 'https://chatgpt.com/connector_platform_oauth_redirect';

/**
 * Per-connector redirects `https://chatgpt.com/connector/oauth/{callback_id}`: used when the AS
 * lacks RFC 9207 support (Apps SDK auth doc v2, H1 2026; plugins changelog Aug 2026). The id is
 * about 12 URL-safe characters and changes when the connector is recreated (observed). Last
 * confirmed 2026-09-08.
 */
export const CONNECTOR_CALLBACK_PREFIX = 'https://chatgpt.com/connector/oauth/';
export const connectorCallback = (callbackId: string): string => `${CONNECTOR_CALLBACK_PREFIX}${callbackId}`;

/**
 * The app review flow's redirect ("allowlist … so the review flow can complete OAuth"), Apps SDK
 * auth doc v1 (2025). Last confirmed 2026-09-08. Not used by a check yet.
 * @public
 */
export const REVIEW_REDIRECT = 'https://platform.openai.com/apps-manage/oauth';

/**
 * Custom GPT Action callbacks: OpenAI "GPT Actions authentication" documents the chat.openai.com
 * form and notes the chatgpt.com form "is also valid"; its troubleshooting box says to register
 * both. The GPT id is known once the GPT is saved. Last confirmed 2026-11 (research A2).
 */
export function gptCallbackUrls(gptId: string): { chatgpt: string; openai: string } {
  return {
    chatgpt: `https://chatgpt.com/aip/${gptId}/oauth/callback`,
    openai: `https://chat.openai.com/aip/${gptId}/oauth/callback`,
  };
}

/** Where a user finds the GPT editor (for `init --open` and hints). */
export const GPT_EDITOR_URL = 'https://chatgpt.com/gpts/editor';

/** How a saved GPT's id appears in its URLs (`https://chatgpt.com/g/g-…`, editor, callbacks). */
export const GPT_URL_RE = /^https:\/\/(?:chatgpt\.com|chat\.openai\.com)\/(?:g|gpts\/editor|aip)\/(g-[^/?#]+)/;
