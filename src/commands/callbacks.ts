/** `gpt-oauth callbacks list|add|remove`: read or patch an OAuth app's redirect URIs. */
import { UsageError, EXIT } from '../errors.js';
import type { IO } from '../ui/io.js';
import { HttpClient } from '../http/client.js';
import { redact, redactDeep } from '../http/redact.js';
import { safeText } from '../text.js';
import { style } from '../ui/style.js';
import { VERSION } from '../version.js';

export interface CallbacksOptions {
  action: string;
  provider?: string;
  app?: string;
  gptId?: string;
  url?: string[];
  dryRun?: boolean;
  config?: string;
}

export async function run(io: IO, o: CallbacksOptions): Promise<number> {
  if (!['list', 'add', 'remove'].includes(o.action)) {
    // The nearest action by letters shared in order (lst → list, rm → remove, ad → add).
    const guess = ['list', 'add', 'remove'].find((a) => a.startsWith(o.action) || [...o.action].every((ch, i, all) => a.indexOf(ch, i === 0 ? 0 : a.indexOf(all[i - 1]!) + 1) >= 0));
    throw new UsageError(`unknown action "${o.action}"${guess && o.action ? ` — did you mean ${guess}?` : ''}; use list, add or remove`);
  }
  // After `init`, the project file names the provider and the app.
  const { loadProject, saveProject, DEFAULT_PROJECT_FILE } = await import('../project.js');
  const projectFile = o.config ?? `./${DEFAULT_PROJECT_FILE}`;
  const project = !o.provider || !o.app || o.gptId ? await loadProject(projectFile, o.config !== undefined) : undefined;
  // A file named with --config must exist, even where the flags name the provider and the app.
  if (!project && o.config !== undefined) await loadProject(o.config, true);
  const fromProject = !!project && !['custom', 'sandbox'].includes(project.provider) && (!o.provider || o.provider === project.provider) && (!o.app || o.app === project.app?.clientId || o.app === project.app?.id);
  if (project && fromProject) o = { ...o, provider: o.provider ?? project.provider, app: o.app ?? project.app?.clientId };
  // A project on the sandbox or the user's own server: no provider app to read or patch.
  if (!o.provider && project && ['custom', 'sandbox'].includes(project.provider)) return notOnAProvider(io, o, project.provider, project.gptId);
  // Without the project file init wrote, both are needed: say where they would have come from.
  const noProject = project ? '' : ` — or run it in the folder where init wrote ${projectFile}, which names them`;
  if (!o.provider) {
    throw new UsageError(`missing --provider (clerk, auth0, stytch or supabase)${o.app ? '' : ' and --app (the app id or client id)'}${noProject}`,
      'Example: gpt-oauth callbacks add --provider clerk --app <client id> --gpt-id g-AbC123xyz');
  }
  if (!o.app) throw new UsageError(`missing --app (the app id or client id on the provider)${noProject}`);
  const urls: string[] = [];
  if (o.gptId) {
    const { parseGptId, gptCallbackUrls } = await import('../gpt-actions/gpt.js');
    const cb = gptCallbackUrls(parseGptId(o.gptId));
    urls.push(cb.chatgpt, cb.openai);
  }
  urls.push(...(o.url ?? []));
  const { validateRedirectUri, updateRedirects } = await import('../providers/ops.js');
  for (const u of urls) {
    const problem = validateRedirectUri(u);
    if (problem) throw new UsageError(`--url ${problem}`);
  }
  if (o.action !== 'list' && !urls.length) throw new UsageError(`callbacks ${o.action} needs --gpt-id g-… or --url URL`);

  const http = new HttpClient({ timeoutMs: 20_000, maxBytes: 4 * 1024 * 1024, userAgent: `gpt-oauth/${VERSION}`, onWait: (ms, why) => io.stderr.write(`waiting ${Math.ceil(ms / 1000)} s for ${why}…\n`) });
  try {
    const { loadProvider } = await import('../providers/index.js');
    const adapter = await loadProvider(o.provider, io.env, http);
    const { configDir } = await import('../secrets.js');
    const plan = await updateRedirects(adapter, o.app, o.action === 'add' ? urls : [], o.action === 'remove' ? urls : [], o.action === 'list' || !!o.dryRun, await configDir(io.env));
    const result = {
      provider: adapter.name,
      app: { id: plan.app.id, clientId: plan.app.clientId, name: plan.app.name },
      action: o.action,
      dryRun: !!o.dryRun,
      changed: o.action !== 'list' && plan.changed && !o.dryRun,
      before: plan.before,
      after: plan.after,
      added: plan.added,
      removed: plan.removed,
    };
    // The GPT id the user now knows completes the project file, so `doctor --target actions` needs no flag.
    if (project && fromProject && o.action === 'add' && o.gptId && !o.dryRun && !project.gptId) {
      const { parseGptId } = await import('../gpt-actions/gpt.js');
      await saveProject(projectFile, { ...project, gptId: parseGptId(o.gptId) });
      io.stderr.write(`Recorded the GPT id in ${projectFile}.\n`);
    }
    if (io.json) {
      io.stdout.write(`${JSON.stringify(redactDeep(result), null, 2)}\n`);
      return EXIT.ok;
    }
    const st = style(io.colorStdout);
    const lines = [`${st.bold(`${adapter.name} app ${safeText(plan.app.name, 120)}`)} (client id ${safeText(plan.app.clientId, 120)})`];
    if (o.action === 'list') {
      lines.push(...(plan.before.length ? plan.before.map((u) => `  ${safeText(u, 500)}`) : ['  (no redirect URIs)']));
    } else {
      for (const u of plan.after) lines.push(plan.added.includes(u) ? st.green(`+ ${u}`) : `  ${safeText(u, 500)}`);
      for (const u of plan.removed) lines.push(st.red(`- ${u}`));
      lines.push(!plan.changed ? 'Nothing to change: the redirect URIs are already as asked.'
        : o.dryRun ? `Dry run: ${plan.added.length} to add, ${plan.removed.length} to remove; nothing was changed.`
          : `Updated: ${plan.added.length} added, ${plan.removed.length} removed.`);
    }
    io.stdout.write(`${redact(lines.join('\n'))}\n`);
    return EXIT.ok;
  } finally {
    await http.close();
  }
}

/**
 * `callbacks` in a project on the sandbox (its GPT client accepts ChatGPT's callbacks for the
 * sandbox GPT, made fresh at each start) or on the user's own server (which keeps its own list).
 */
async function notOnAProvider(io: IO, o: CallbacksOptions, provider: string, gptId?: string): Promise<number> {
  const { gptCallbackUrls, parseGptId } = await import('../gpt-actions/gpt.js');
  const { SANDBOX_GPT_ID } = await import('../sandbox/constants.js');
  if (provider === 'sandbox') {
    if (o.action !== 'list') throw new UsageError('the sandbox\'s GPT client is made fresh at each start with its callbacks; there is nothing to add or remove');
    const urls = Object.values(gptCallbackUrls(SANDBOX_GPT_ID));
    if (io.json) io.stdout.write(`${JSON.stringify({ provider: 'sandbox', action: 'list', after: urls }, null, 2)}\n`);
    else io.stdout.write(`The sandbox's GPT client (GPT ${SANDBOX_GPT_ID}) accepts:\n${urls.map((u) => `  ${u}`).join('\n')}\n`);
    return EXIT.ok;
  }
  const urls = gptId || o.gptId ? Object.values(gptCallbackUrls(parseGptId(o.gptId ?? gptId))) : [];
  throw new UsageError(`this project uses your own authorization server (provider custom), which keeps its redirect URIs itself${urls.length ? `: register ${urls.join(' and ')} there` : ''}`,
    'Or give --provider and --app for an app on Clerk, Auth0, Stytch or Supabase.');
}
