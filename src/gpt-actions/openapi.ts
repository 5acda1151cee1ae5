/**
 * Read what a GPT Action's OpenAPI document says about OAuth: its oauth2 authorizationCode flow
 * (authorization URL, token URL, scopes), its `servers`, and a protected GET operation to call.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { fsReason } from '../output-file.js';
import { safeText } from '../text.js';

export interface OpenApiOAuth {
  authUrl: string;
  tokenUrl: string;
  scopes: string[];
  serverUrl?: string;
  /** A GET operation protected by the oauth2 scheme, without path parameters. */
  apiUrl?: string;
  schemeName: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export async function readOpenApi(file: string): Promise<OpenApiOAuth> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const shown = safeText(file, 300);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`--openapi ${shown}: the file does not exist`);
    throw new UsageError(`--openapi ${shown}: cannot read the file (${fsReason(err)})`);
  }
  let doc: unknown;
  try {
    const { parse } = await import('yaml'); // YAML is a superset of JSON
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new UsageError(`--openapi ${file}: not valid YAML or JSON (${(err as Error).message.split('\n')[0]})`);
  }
  return oauthFromOpenApi(doc, file);
}

export function oauthFromOpenApi(doc: unknown, file = 'the OpenAPI document'): OpenApiOAuth {
  if (!isObj(doc) || (typeof doc.openapi !== 'string' && typeof doc.swagger !== 'string')) {
    throw new UsageError(`--openapi ${file}: not an OpenAPI document (no "openapi" version field)`);
  }
  const schemes = isObj(doc.components) && isObj(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  const oauth = Object.entries(schemes).find(([, s]) => isObj(s) && s.type === 'oauth2');
  if (!oauth) {
    throw new UsageError(`--openapi ${file}: no oauth2 security scheme under components.securitySchemes; a GPT Action with OAuth needs one with flows.authorizationCode (authorizationUrl, tokenUrl, scopes)`);
  }
  const [schemeName, scheme] = oauth as [string, Obj];
  const flow = isObj(scheme.flows) && isObj(scheme.flows.authorizationCode) ? scheme.flows.authorizationCode : undefined;
  if (!flow) throw new UsageError(`--openapi ${file}: security scheme "${schemeName}" has no flows.authorizationCode (GPT Actions use the authorization code flow)`);
  const missing = ['authorizationUrl', 'tokenUrl'].filter((k) => typeof flow[k] !== 'string' || !flow[k]);
  if (missing.length) throw new UsageError(`--openapi ${file}: flows.authorizationCode of "${schemeName}" is missing ${missing.join(' and ')}`);
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const serverUrl = isObj(servers[0]) && typeof servers[0].url === 'string' ? servers[0].url.replace(/\/$/, '') : undefined;
  const resolveUrl = (u: string) => (serverUrl && !/^https?:/.test(u) ? new URL(u, `${serverUrl}/`).href : u);
  return {
    authUrl: resolveUrl(flow.authorizationUrl as string),
    tokenUrl: resolveUrl(flow.tokenUrl as string),
    scopes: isObj(flow.scopes) ? Object.keys(flow.scopes) : [],
    serverUrl,
    apiUrl: serverUrl ? protectedGet(doc, schemeName, serverUrl) : undefined,
    schemeName,
  };
}

function protectedGet(doc: Obj, scheme: string, serverUrl: string): string | undefined {
  const usesScheme = (sec: unknown) => Array.isArray(sec) && sec.some((r) => isObj(r) && scheme in r);
  const global = usesScheme(doc.security);
  for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
    if (path.includes('{') || !isObj(item) || !isObj(item.get)) continue;
    const op = item.get;
    const secured = op.security !== undefined ? usesScheme(op.security) : global;
    const requiredParams = Array.isArray(op.parameters) && op.parameters.some((p) => isObj(p) && p.required === true && p.in === 'query');
    if (secured && !requiredParams) return `${serverUrl}${path}`;
  }
  return undefined;
}
