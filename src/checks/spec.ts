/**
 * Spec references. A check names its sources as short labels ("RFC 9728 §5.1", "MCP 2025-11-25
 * Authorization §Token Audience Binding", "OAuth 2.1 §4.1.1"); `refs()` turns each into
 * `{ id, url }` so reports can link them. A label of an unknown form is a programming error and
 * throws when the catalog loads (a unit test loads every catalog).
 */
export interface SpecRef {
  id: string;
  url: string;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
/** The first "§x.y" of a label, as an anchor. */
const section = (rest: string) => /§\s*([0-9A-Z]+(?:\.[0-9]+)*)/.exec(rest)?.[1];

const RULES: { re: RegExp; url: (m: RegExpExecArray) => string }[] = [
  { re: /^RFC (\d{4})(.*)$/, url: (m) => `https://www.rfc-editor.org/rfc/rfc${m[1]}${section(m[2]!) ? `#section-${section(m[2]!)}` : ''}` },
  { re: /^OAuth 2\.1(.*)$/, url: (m) => `https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1${section(m[1]!) ? `#section-${section(m[1]!)}` : ''}` },
  {
    re: /^MCP (\d{4}-\d{2}-\d{2}) (Authorization|Transports|Lifecycle)(?: §(.*))?$/,
    url: (m) => {
      const page = m[2] === 'Authorization' ? 'basic/authorization' : m[2] === 'Transports' ? 'basic/transports' : 'basic/lifecycle';
      return `https://modelcontextprotocol.io/specification/${m[1]}/${page}${m[3] ? `#${slug(m[3])}` : ''}`;
    },
  },
  { re: /^OpenID Connect Discovery 1\.0(.*)$/, url: (m) => `https://openid.net/specs/openid-connect-discovery-1_0.html${section(m[1]!) ? `#section-${section(m[1]!)}` : ''}` },
  { re: /^draft-ietf-oauth-client-id-metadata-document/, url: () => 'https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/' },
  { re: /^OpenAI GPT Actions/, url: () => 'https://platform.openai.com/docs/actions/authentication' },
  { re: /^OpenAI plugins/, url: () => 'https://platform.openai.com/docs/plugins/authentication' },
  { re: /^OpenAI Apps SDK/, url: () => 'https://developers.openai.com/apps-sdk/build/auth' },
];

function specRef(label: string): SpecRef {
  for (const r of RULES) {
    const m = r.re.exec(label);
    if (m) return { id: label, url: r.url(m) };
  }
  throw new Error(`unknown spec reference form: "${label}" (add a rule to src/checks/spec.ts)`);
}

export const refs = (...labels: string[]): SpecRef[] => labels.map(specRef);
