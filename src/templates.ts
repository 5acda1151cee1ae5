/**
 * The files `init` can write, rendered with the user's values. An existing file is never
 * overwritten without --force; a diff is shown instead.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPLATE_NAMES = ['github-actions', 'openapi-security', 'protected-resource', 'mcp-middleware', 'env-example'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export const TEMPLATES: Record<TemplateName, { source: string; dest: string; describe: string; needs: 'actions' | 'apps' | 'any' }> = {
  'github-actions': { source: 'github-actions.yml', dest: '.github/workflows/chatgpt-oauth.yml', describe: 'GitHub Actions workflow running the doctor as a conformance check', needs: 'any' },
  'openapi-security': { source: 'openapi-oauth.yaml', dest: 'gpt-oauth.openapi-security.yaml', describe: 'the oauth2 securitySchemes block for the action\'s OpenAPI document', needs: 'actions' },
  'protected-resource': { source: 'protected-resource.json', dest: '.well-known/oauth-protected-resource.json', describe: 'RFC 9728 protected-resource metadata for the MCP server', needs: 'apps' },
  'mcp-middleware': { source: 'mcp-auth-middleware.mjs', dest: 'mcp-auth-middleware.mjs', describe: 'token-verifying middleware for an Express/Node MCP server', needs: 'apps' },
  'env-example': { source: 'env.example', dest: '.env.example', describe: '.env.example listing the variables gpt-oauth reads', needs: 'any' },
};

const templatesDir = () => join(dirname(dirname(fileURLToPath(import.meta.url))), 'templates');

export async function renderTemplate(name: TemplateName, values: Record<string, string>): Promise<string> {
  const text = await readFile(join(templatesDir(), TEMPLATES[name].source), 'utf8');
  const out = text.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    if (!(key in values)) throw new Error(`template ${name}: no value for {{${key}}}`);
    return values[key]!;
  });
  return out;
}

export interface WriteResult { name: TemplateName; path: string; status: 'written' | 'unchanged' | 'kept'; diff?: string }

export async function writeTemplate(dir: string, name: TemplateName, content: string, force: boolean): Promise<WriteResult> {
  const path = join(dir, TEMPLATES[name].dest);
  if (existsSync(path)) {
    const old = await readFile(path, 'utf8');
    if (old === content) return { name, path, status: 'unchanged' };
    if (!force) return { name, path, status: 'kept', diff: lineDiff(old, content) };
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return { name, path, status: 'written' };
}

/** A small line diff (LCS), enough to show what --force would change. */
function lineDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const dp = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i]![j] = x[i] === y[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { i++; j++; continue; }
    if (j < m && (i >= n || dp[i]![j + 1]! >= dp[i + 1]![j]!)) out.push(`+ ${y[j++]}`);
    else out.push(`- ${x[i++]}`);
  }
  return out.join('\n');
}
