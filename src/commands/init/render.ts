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
  /** `--provider custom`: what the discovery checks on the MCP server found. */
  discovery?: { url: string; passed: number; failed: number; warnings: number; failedChecks: string[] };
  /** What init could not do or know, as steps for the user (said at the end). */
  remaining?: string[];
}

/** Render the result (the paste block, or one JSON object), then offer the doctor. */
export async function finish(io: IO, o: InitOptions, prompt: Prompter, result: InitResult, secrets: { clientSecret?: string; stored?: string }, say: (l?: string) => void): Promise<number> {
  const remaining = remainingSteps(result);
  if (remaining.length) result.remaining = remaining;
  if (!io.json) {
    io.stdout.write(`${finalBlock(result.project, secrets, style(io.colorStdout), remaining)}\n`);
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
function finalBlock(p: ProjectFile, secrets: { clientSecret?: string; stored?: string }, st: ReturnType<typeof style>, remaining: string[]): string {
  const lines: string[] = [''];
  const row = (k: string, v: string) => `  ${k.padEnd(23)}${v}`;
  if (p.provider === 'sandbox') {
    lines.push(st.bold('The sandbox is set up. Try it:'), `  ${invocation()} doctor          (reads gpt-oauth.yaml, starts the sandbox, runs every check)`);
    if (p.target === 'both') lines.push(`  ${invocation()} doctor --target actions`);
    return lines.join('\n');
  }
  if (p.target !== 'apps') {
    lines.push(st.bold('Paste into the GPT editor (Configure → Actions → Authentication → OAuth):'));
    const custom = p.provider === 'custom';
    lines.push(row('Client ID', p.app?.clientId ? safeText(p.app.clientId, 200) : custom ? '(the client you register on your server: see "Still to do")' : '(your client id)'));
    lines.push(row('Client Secret', secrets.clientSecret ? `${mask(secrets.clientSecret)}  (full value stored in ${secrets.stored})` : custom ? '(that client\'s secret)' : '(the app\'s existing secret)'));
    lines.push(row('Authorization URL', p.authUrl ? safeText(p.authUrl, 500) : (p.provider === 'stytch' ? '(your app\'s authorization page: run init again with --authorization-url URL)' : '(your authorization endpoint)')));
    lines.push(row('Token URL', p.tokenUrl ? safeText(p.tokenUrl, 500) : '(your token endpoint)'));
    lines.push(row('Scope', safeText(p.scopes?.join(' ') ?? '', 500)));
    lines.push(row('Token Exchange Method', 'Default (POST request)'));
    // On a custom server init registers nothing: the callback URLs are among the steps left.
    if (!custom) {
      if (p.gptId) lines.push(`  Callback URLs registered for ${p.gptId}.`);
      else lines.push('  Once the GPT is saved, register its callback URLs:', `    ${invocation()} callbacks add --gpt-id g-…`);
    }
  }
  if (p.target !== 'actions') {
    lines.push(st.bold('In ChatGPT (Settings → Apps → Create app):'));
    lines.push(row('MCP Server URL', safeText(p.mcpUrl ?? '', 500)));
    lines.push(row('Authentication', 'OAuth'));
    lines.push('  Leave the client fields empty: ChatGPT registers its own client (dynamic registration).');
  }
  if (remaining.length) {
    lines.push('', st.bold('Still to do:'));
    remaining.forEach((r, i) => lines.push(`  ${i + 1}. ${r}`));
  }
  lines.push('', `Check it as ChatGPT would: ${invocation()} doctor${p.target === 'both' ? `   and   ${invocation()} doctor --target actions` : ''}`);
  return lines.join('\n');
}

/**
 * What init could not do or know, as steps: discovery's failures (the server may not be running
 * yet, so init still wrote its files), and, for a GPT Action on the user's own server, the client
 * init cannot register, its secret, and the GPT id that exists only once the GPT is saved.
 */
function remainingSteps(r: InitResult): string[] {
  const p = r.project;
  const steps: string[] = [];
  const d = r.discovery;
  if (d?.failed) {
    steps.push(`Fix what discovery found failing on ${safeText(d.url, 300)} (${d.failedChecks.map((id) => safeText(id, 80)).join(', ')}): ChatGPT cannot connect until then. \`${invocation()} doctor\` shows each failure with its fix.`);
  }
  if (p.provider !== 'custom' || p.target === 'apps') return steps;
  const callbacks = Object.values(gptCallbackUrls(p.gptId ?? 'g-…')).join(' and ');
  if (!p.authUrl || !p.tokenUrl) {
    const why = d ? 'discovery did not find them' : 'init learns them from an MCP server\'s metadata, and this set-up names none';
    steps.push(`Give the GPT editor your server's authorization and token endpoints (${why}); set authUrl and tokenUrl in ${r.configFile} too, so the doctor reads them${d ? ', or run init again once the server answers' : ''}.`);
  }
  const again: string[] = [];
  if (!p.app?.clientId) {
    steps.push(`Register a client for the GPT Action on your server: confidential (client secret sent in the POST body), with the callback URLs ${callbacks}.`);
    again.push('--app CLIENT_ID');
  } else {
    steps.push(`Make sure the client ${safeText(p.app.clientId, 200)} on your server has the callback URLs ${callbacks}.`);
  }
  if (!p.gptId) again.push('--gpt-id g-…');
  if (again.length) {
    steps.push(`Then run \`${invocation()} init ${again.join(' ')}\` here${p.gptId ? '' : ' once the GPT is saved (its id is in the editor\'s URL)'}: it keeps the other answers and records ${again.length > 1 ? 'them' : 'it'} in ${r.configFile}.${p.app?.clientId ? '' : ' In CI the workflow can take the client id from the repository variable GPT_OAUTH_ACTION_CLIENT_ID instead.'}`);
  }
  steps.push(`Paste that client's secret into the GPT editor, and give it to the doctor as GPT_OAUTH_CLIENT_SECRET (in CI: the repository secret of that name) — never as a flag.`);
  return steps;
}

