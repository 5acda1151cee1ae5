/** What `init` ends with: the block to paste into ChatGPT, or one JSON object (`--json`). */
import { invocation } from '../../invocation.js';
import { EXIT } from '../../errors.js';
import type { IO } from '../../ui/io.js';
import type { Prompter } from '../../ui/prompt.js';
import { safeText } from '../../text.js';
import { style } from '../../ui/style.js';
import { mask, redactDeep } from '../../http/redact.js';
import type { ProjectFile } from '../../project.js';
import type { SettingChange } from '../../providers/types.js';
import { gptCallbackUrls } from '../../chatgpt/redirects.js';
import type { InitOptions, Target } from './options.js';
import { offerDoctor } from './offers.js';

/** `init --json`: what was set up, what changed and what to paste — never a secret. */
export interface InitResult {
  configFile: string;
  target: Target;
  provider: string;
  project: ProjectFile;
  app?: { id: string; clientId: string; name: string; created: boolean; addedRedirectUris: string[] };
  clientSecret?: { masked: string; storedIn: string };
  changes: SettingChange[];
  templates: { name: string; path: string; status: string }[];
  paste?: Record<string, unknown>;
  doctor?: import('../../doctor/types.js').Report;
  /** `--target both`: the actions suite's report (`doctor` holds the apps one). */
  doctorActions?: import('../../doctor/types.js').Report;
}

/** Render the result (the paste block, or one JSON object), then offer the doctor. */
export async function finish(io: IO, o: InitOptions, prompt: Prompter, result: InitResult, secrets: { clientSecret?: string; stored?: string }, say: (l?: string) => void): Promise<number> {
  if (!io.json) {
    io.stdout.write(`${finalBlock(result.project, secrets, style(io.colorStdout))}\n`);
    return offerDoctor(io, o, prompt, result.configFile, result.project.target, say);
  }
  result.paste = pasteFields(result.project, secrets);
  let code: number = EXIT.ok;
  if (o.doctor) {
    // One JSON object on stdout: the doctor's report goes inside it.
    const { validate } = await import('../doctor/options.js');
    const { run: runDoctor } = await import('../doctor/run.js');
    // Every target the project has, as the offer at a terminal runs them.
    const targets = result.project.target === 'both' ? (['apps', 'actions'] as const) : [undefined];
    for (const target of targets) {
      const ran = await runDoctor(io, await validate(io, { config: result.configFile, ...(target ? { target } : {}) }));
      await ran.close?.();
      const { report } = ran;
      if (target === 'actions') result.doctorActions = report;
      else result.doctor = report;
      if (report.summary.failed) code = EXIT.failed;
    }
  }
  io.stdout.write(`${JSON.stringify(redactDeep(result), null, 2)}\n`);
  return code;
}

/** What to paste into ChatGPT, as data (the same facts as the human block). */
function pasteFields(p: ProjectFile, secrets: { clientSecret?: string; stored?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.target !== 'apps' && p.provider !== 'sandbox') {
    out.gptEditor = {
      clientId: p.app?.clientId ?? null,
      clientSecret: secrets.clientSecret ? mask(secrets.clientSecret) : null,
      authorizationUrl: p.authUrl ?? null,
      tokenUrl: p.tokenUrl ?? null,
      scope: p.scopes?.join(' ') ?? '',
      tokenExchangeMethod: 'Default (POST request)',
    };
  }
  if (p.target !== 'actions' && p.provider !== 'sandbox') out.chatgptApp = { mcpServerUrl: p.mcpUrl ?? null, authentication: 'OAuth' };
  return out;
}

/** Exactly what to paste into ChatGPT. Secrets masked; where the full one is stored is said. */
function finalBlock(p: ProjectFile, secrets: { clientSecret?: string; stored?: string }, st: ReturnType<typeof style>): string {
  const lines: string[] = [''];
  const row = (k: string, v: string) => `  ${k.padEnd(23)}${v}`;
  if (p.provider === 'sandbox') {
    lines.push(st.bold('The sandbox is set up. Try it:'), `  ${invocation()} doctor          (reads gpt-oauth.yaml, starts the sandbox, runs every check)`);
    if (p.target === 'both') lines.push(`  ${invocation()} doctor --target actions`);
    return lines.join('\n');
  }
  if (p.target !== 'apps') {
    lines.push(st.bold('Paste into the GPT editor (Configure → Actions → Authentication → OAuth):'));
    lines.push(row('Client ID', p.app?.clientId ? safeText(p.app.clientId, 200) : '(your client id)'));
    lines.push(row('Client Secret', secrets.clientSecret ? `${mask(secrets.clientSecret)}  (full value stored in ${secrets.stored})` : '(the app\'s existing secret)'));
    lines.push(row('Authorization URL', p.authUrl ? safeText(p.authUrl, 500) : (p.provider === 'stytch' ? '(your app\'s authorization page: run init again with --authorization-url URL)' : '(your authorization endpoint)')));
    lines.push(row('Token URL', p.tokenUrl ? safeText(p.tokenUrl, 500) : '(your token endpoint)'));
    lines.push(row('Scope', safeText(p.scopes?.join(' ') ?? '', 500)));
    lines.push(row('Token Exchange Method', 'Default (POST request)'));
    if (p.gptId) lines.push(`  Callback URLs registered for ${p.gptId}.`);
    else lines.push('  Once the GPT is saved, register its callback URLs:', `    ${invocation()} callbacks add --gpt-id g-…${p.provider !== 'custom' ? '' : `   (or add both ${Object.values(gptCallbackUrls('g-…')).join(' and ')} to your server)`}`);
  }
  if (p.target !== 'actions') {
    lines.push(st.bold('In ChatGPT (Settings → Apps → Create app):'));
    lines.push(row('MCP Server URL', safeText(p.mcpUrl ?? '', 500)));
    lines.push(row('Authentication', 'OAuth'));
    lines.push('  Leave the client fields empty: ChatGPT registers its own client (dynamic registration).');
  }
  lines.push('', `Check it as ChatGPT would: ${invocation()} doctor${p.target === 'both' ? `   and   ${invocation()} doctor --target actions` : ''}`);
  return lines.join('\n');
}

