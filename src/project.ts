/**
 * The project file, `gpt-oauth.yaml`: what `init` set up, so `doctor` and `callbacks` need no
 * flags afterwards. It never holds secrets. Validated on load with line-numbered errors.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { UsageError } from './errors.js';
import { safeText } from './text.js';

const TARGETS = ['actions', 'apps', 'both'] as const;
const PROJECT_PROVIDERS = ['clerk', 'auth0', 'stytch', 'supabase', 'custom', 'sandbox'] as const;

export interface ProjectFile {
  version: 1;
  target: (typeof TARGETS)[number];
  provider: (typeof PROJECT_PROVIDERS)[number];
  /** The OAuth app on the provider (GPT Actions). */
  app?: { id: string; clientId: string; name: string };
  /** ChatGPT Apps: the MCP server URL as typed into ChatGPT. */
  mcpUrl?: string;
  /** GPT Actions. */
  gptId?: string;
  apiUrl?: string;
  authUrl?: string;
  tokenUrl?: string;
  scopes?: string[];
  issuer?: string;
}

type Rule = { type: 'string' | 'number' | 'array' | 'object'; enum?: readonly string[]; url?: boolean; fields?: Record<string, Rule>; required?: string[] };
const url: Rule = { type: 'string', url: true };
const SCHEMA: Record<string, Rule> = {
  version: { type: 'number' },
  target: { type: 'string', enum: TARGETS },
  provider: { type: 'string', enum: PROJECT_PROVIDERS },
  app: { type: 'object', fields: { id: { type: 'string' }, clientId: { type: 'string' }, name: { type: 'string' } }, required: ['id', 'clientId'] },
  mcpUrl: url, gptId: { type: 'string' }, apiUrl: url, authUrl: url, tokenUrl: url, issuer: url,
  scopes: { type: 'array' },
};
const SECRET_KEY = /secret|password|private|^(access|refresh|id|api|management)[-_]?(token|key)$|^token$/i;

export const DEFAULT_PROJECT_FILE = 'gpt-oauth.yaml';

/**
 * The project file, or undefined when it does not exist and is not `required`. A file named with
 * --config is required: a typo must not silently drop the set-up (only the default may be absent).
 */
export async function loadProject(file: string, required = false): Promise<ProjectFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    const shown = safeText(file, 300);
    if (code === 'ENOENT') {
      throw new UsageError(`--config ${shown}: the file does not exist`, `Check the path, run \`gpt-oauth init --config ${shown}\` to create it, or leave out --config to use ./${DEFAULT_PROJECT_FILE}.`);
    }
    throw new UsageError(`cannot read the project file ${shown}: ${code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code ?? (err as Error).message}`, 'Run `gpt-oauth init`, or pass --config FILE.');
  }
  return parseProject(text, file);
}

export async function parseProject(text: string, file: string): Promise<ProjectFile> {
  const { parseDocument, LineCounter, isMap, isScalar, isSeq } = await import('yaml');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true });
  const at = (range?: [number, number, number?] | null) => (range ? `${file}:${lc.linePos(range[0]).line}` : file);
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new UsageError(`${file}:${e.linePos?.[0]?.line ?? '?'}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  if (!isMap(doc.contents)) throw new UsageError(`${file}: the project file must be a mapping of keys (target, provider, …)`);
  const check = (map: unknown, rules: Record<string, Rule>, prefix: string) => {
    if (!isMap(map)) return;
    for (const pair of map.items) {
      const keyNode = pair.key as { value?: unknown; range?: [number, number, number] };
      const key = String(keyNode?.value);
      const where = at(keyNode?.range);
      if (SECRET_KEY.test(key)) throw new UsageError(`${where}: "${prefix}${key}" looks like a secret; the project file must never hold secrets (they live in the OS keyring or a 0600 file)`);
      const rule = rules[key];
      if (!rule) throw new UsageError(`${where}: unknown key "${prefix}${key}" (known: ${Object.keys(rules).join(', ')})`);
      const v = pair.value as { range?: [number, number, number]; value?: unknown } | null;
      const vwhere = at(v?.range ?? keyNode?.range);
      if (rule.type === 'object') {
        if (!isMap(v)) throw new UsageError(`${vwhere}: "${prefix}${key}" must be a mapping`);
        check(v, rule.fields!, `${prefix}${key}.`);
        continue;
      }
      if (rule.type === 'array') {
        if (!isSeq(v)) throw new UsageError(`${vwhere}: "${prefix}${key}" must be a list`);
        continue;
      }
      if (!isScalar(v) || typeof v.value !== rule.type) throw new UsageError(`${vwhere}: "${prefix}${key}" must be a ${rule.type}`);
      if (rule.enum && !rule.enum.includes(String(v.value))) throw new UsageError(`${vwhere}: "${prefix}${key}" must be one of ${rule.enum.join(', ')} (got "${String(v.value)}")`);
      if (rule.url) {
        try { new URL(String(v.value)); } catch { throw new UsageError(`${vwhere}: "${prefix}${key}" must be an absolute URL`); }
      }
    }
  };
  check(doc.contents, SCHEMA, '');
  const data = doc.toJS() as ProjectFile;
  for (const k of ['version', 'target', 'provider'] as const) {
    if (data[k] === undefined) throw new UsageError(`${file}: missing "${k}"`);
  }
  if (data.version !== 1) throw new UsageError(`${file}: unsupported version ${data.version} (this gpt-oauth reads version 1)`);
  if (data.app && (!data.app.id || !data.app.clientId)) throw new UsageError(`${file}: "app" needs id and clientId`);
  return data;
}

/** Write atomically (temporary file + rename), so an interrupted run never leaves half a file. */
export async function saveProject(file: string, p: ProjectFile): Promise<void> {
  const { stringify } = await import('yaml');
  const body = stringify(Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)), { lineWidth: 0 });
  const text = `# gpt-oauth project file (written by \`gpt-oauth init\`). No secrets here: they live in the\n# OS keyring or a 0600 file. \`gpt-oauth doctor\` and \`gpt-oauth callbacks\` read it.\n${body}`;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, file);
}
