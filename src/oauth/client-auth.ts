/**
 * Client authentication at the token endpoint (RFC 6749 §2.3.1), one helper for both suites.
 *
 * Basic: RFC 6749 §2.3.1 says the client id and secret are each form-urlencoded before they are
 * joined with ":" and base64-encoded. OpenAI does not document which encoding ChatGPT's "Basic
 * authorization header" uses (research A4: `Basic base64(client_id:client_secret)`); for the ids
 * and secrets providers issue (letters, digits, `-`, `_`, `.`, `~`) both encodings are the same
 * bytes, so we follow the RFC, which is also what strict servers expect for anything else.
 */
export type ClientAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

const formEncode = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);

function basicCredentials(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
}

/** The headers and form body of a token request authenticated with `method`. */
export function withClientAuth<F extends Record<string, string | undefined>>(
  method: ClientAuthMethod,
  clientId: string,
  clientSecret: string | undefined,
  form: F,
): { headers: Record<string, string>; form: Record<string, string | undefined> } {
  if (method === 'client_secret_basic' && clientSecret) {
    return { headers: { authorization: basicCredentials(clientId, clientSecret) }, form: { ...form } };
  }
  return {
    headers: {},
    form: { ...form, client_id: clientId, ...(method === 'client_secret_post' ? { client_secret: clientSecret } : {}) },
  };
}
