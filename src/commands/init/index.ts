/**
 * `gpt-oauth init`: target → provider → credentials → URLs → GPT id → summary → confirm →
 * provision → project file → templates → what to paste into ChatGPT → offer doctor and browser.
 * Every answer has a flag; without a terminal (or with --no-input / CI) a missing one is an
 * exit-2 error naming it. Nothing is written locally before the provider work succeeded.
 *
 * This file reads as options → validate → run → render: `options.ts` (the flags, their checks
 * and the questions), `provision.ts` (the provider's management API), `offers.ts` (templates,
 * dashboards, the doctor), `render.ts` (what to paste, or `--json`).
 */
import { CancelledError } from '../../errors.js';
import type { IO } from '../../ui/io.js';
import { createPrompter } from '../../ui/prompt.js';
import { style } from '../../ui/style.js';
import { mask } from '../../http/redact.js';
import { checkOutputPath } from '../../output-file.js';
import { DEFAULT_PROJECT_FILE, loadProject, saveProject, type ProjectFile } from '../../project.js';
import type { ProviderName } from '../../providers/types.js';
import { ask, type InitOptions, type Provider } from './options.js';
import { provision } from './provision.js';
import { checkCustomServer, offerOpen, offerTemplates } from './offers.js';
import { finish, type InitResult } from './render.js';

export type { InitOptions } from './options.js';

export async function run(io: IO, o: InitOptions): Promise<number> {
  const prompt = createPrompter(io);
  const say = (line = '') => io.stderr.write(`${line}\n`);
  const st = style(io.color);
  const configFile = o.config ?? `./${DEFAULT_PROJECT_FILE}`;
  const dir = o.dir ?? process.cwd();

  // Re-running in a configured folder offers to update rather than start over.
  let defaults: Partial<ProjectFile> = {};
  const existing = await loadProject(configFile);
  // init writes the file (a missing one is fine), but only after the provider work: a path it
  // could not write is a usage error now, before any question or request.
  await checkOutputPath(configFile, o.config !== undefined ? '--config' : 'the project file');
  if (existing) {
    const choice = io.interactive && !o.yes
      ? await prompt.select(`${configFile} already describes a set-up (${existing.target} on ${existing.provider}). What now?`, [
        { value: 'update', name: 'Update it (keep its answers as defaults)' },
        { value: 'fresh', name: 'Start over' },
        { value: 'cancel', name: 'Cancel' },
      ], '--yes', 'update')
      : 'update';
    if (choice === 'cancel') throw new CancelledError('Nothing changed.');
    if (choice === 'update') defaults = existing;
  }

  const a = await ask(io, o, prompt, defaults, say);
  const { target, provider, mcpUrl, apiUrl, gptId, scopes } = a;
  const sandbox = provider === 'sandbox';

  const project: ProjectFile = { version: 1, target, provider: provider as Provider, mcpUrl, apiUrl, gptId, scopes };

  const result: InitResult = { configFile, target, provider, project, changes: [], templates: [] };
  if (sandbox || provider === 'custom') {
    const checked = provider === 'custom' && mcpUrl ? await checkCustomServer(io, mcpUrl, say) : undefined;
    const found = checked?.found ?? {};
    // What the server advertises fills the project, the paste block and the templates (the
    // user's flags win); what discovery could not find this time keeps the project's answer.
    if (provider === 'custom') {
      project.issuer = found.issuer ?? defaults.issuer;
      if (target !== 'apps') {
        project.authUrl = found.authUrl ?? defaults.authUrl;
        project.tokenUrl = found.tokenUrl ?? defaults.tokenUrl;
        // The GPT Action's client is one the user registered on their own server: --app names it.
        const clientId = a.app ?? defaults.app?.clientId;
        if (clientId) project.app = { id: clientId, clientId, name: o.name ?? (a.app ? undefined : defaults.app?.name) ?? 'GPT Action' };
      }
    }
    if (found.scopes?.length && !o.scopes) project.scopes = found.scopes;
    if (checked && mcpUrl) result.discovery = { url: mcpUrl, ...checked.summary, failedChecks: checked.failed };
    await saveProject(configFile, project);
    say(`${st.green('✔')} Wrote ${configFile}`);
    result.templates = await offerTemplates(io, o, prompt, project, dir, say, {}, found);
    return finish(io, o, prompt, result, {}, say);
  }

  const secrets = await provision(io, o, prompt, a, defaults, project, result, say);

  await saveProject(configFile, project);
  say(`${st.green('✔')} Wrote ${configFile} (no secrets in it)`);
  result.templates = await offerTemplates(io, o, prompt, project, dir, say, secrets);
  if (secrets.clientSecret) result.clientSecret = { masked: mask(secrets.clientSecret), storedIn: secrets.stored! };
  await offerOpen(io, o, prompt, provider as ProviderName, say);
  return finish(io, o, prompt, result, secrets, say);
}
