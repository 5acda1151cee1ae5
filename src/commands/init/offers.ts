/** What `init` offers at the end: templates for the user's server and CI, the dashboards, the doctor. */
import { CliError, EXIT, UsageError } from '../../errors.js';
import type { IO } from '../../ui/io.js';
import type { Prompter } from '../../ui/prompt.js';
import { withSpinner } from '../../ui/spinner.js';
import { safeText } from '../../text.js';
import { style } from '../../ui/style.js';
import { HttpClient } from '../../http/client.js';
import { GITHUB_ACTION, VERSION } from '../../version.js';
import { CREDENTIALS } from '../provider-credentials.js';
import type { ProjectFile } from '../../project.js';
import type { ProviderName } from '../../providers/types.js';
import { GPT_EDITOR_URL } from '../../chatgpt/redirects.js';
import type { InitOptions } from './options.js';

/** What discovery found on the user's server (src/doctor/suites/apps.ts), for the templates. */
export interface Discovered { issuer?: string; jwksUri?: string; authUrl?: string; tokenUrl?: string; resource?: string; scopes?: string[] }

/**
 * A value the templates still need from the user: it says so, and it cannot be deployed
 * unnoticed (the middleware refuses to start with it; init lists where it is).
 */
const PLACEHOLDER = 'REPLACE-ME';

/** What `init --provider custom` learned from the user's server: its metadata and the discovery checks' outcome. */
export interface CustomCheck {
  found: Discovered;
  summary: { passed: number; failed: number; warnings: number };
  /** The failed checks (ids), said under the summary and again at the end. */
  failed: string[];
}

/** Carries a discovery report with failures or warnings out of the spinner, so it does not end with ✔. */
class NotClean extends Error {
  constructor(readonly report: { summary: CustomCheck['summary'] }) { super('discovery found problems'); }
}

/**
 * "custom": nothing to provision; check what the user's own server advertises. Failures and
 * warnings are marked as such (✗ / !), never with the ✔ of a clean discovery; init goes on
 * (the server may not be running yet) and says so at the end.
 */
export async function checkCustomServer(io: IO, mcpUrl: string, say: (l?: string) => void): Promise<CustomCheck> {
  const http = new HttpClient({ timeoutMs: 10_000, maxBytes: 1 << 20, userAgent: `gpt-oauth/${VERSION}` });
  const st = style(io.color);
  const line = (r: { summary: CustomCheck['summary'] }) => `Discovery: ${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.warnings} warnings`;
  try {
    const { runAppsSuite } = await import('../../doctor/suites/apps.js');
    type AppsReport = Awaited<ReturnType<typeof runAppsSuite>>;
    let report: AppsReport;
    try {
      report = await withSpinner(io, `Reading what ${mcpUrl} advertises`, async () => {
        const r = await runAppsSuite({ mcpUrl, http, login: 'auto', selection: { only: ['resource.', 'prm.', 'as.'] } });
        if (r.summary.failed || r.summary.warnings) throw new NotClean(r);
        return r;
      }, line);
    } catch (err) {
      if (!(err instanceof NotClean)) throw err;
      report = err.report as AppsReport;
      say(report.summary.failed ? `${st.red('✗')} ${line(report)}` : `${st.yellow('!')} ${line(report)}`);
    }
    for (const c of report.checks.filter((x) => x.status === 'fail' || x.status === 'warn')) say(`  ${c.status === 'fail' ? '✗' : '!'} ${c.id}: ${safeText(c.detail, 300)}${c.fix ? `\n    fix: ${safeText(c.fix, 300)}` : ''}`);
    return {
      found: (report as { discovered?: Discovered }).discovered ?? {},
      summary: { passed: report.summary.passed, failed: report.summary.failed, warnings: report.summary.warnings },
      failed: report.checks.filter((x) => x.status === 'fail').map((x) => x.id),
    };
  } finally {
    await http.close();
  }
}

export async function offerTemplates(io: IO, o: InitOptions, prompt: Prompter, p: ProjectFile, dir: string, say: (l?: string) => void, secrets: { clientSecret?: string }, found: Discovered = {}): Promise<{ name: string; path: string; status: string }[]> {
  const { TEMPLATE_NAMES, TEMPLATES, renderTemplate, writeTemplate } = await import('../../templates.js');
  const fits = TEMPLATE_NAMES.filter((n) => TEMPLATES[n].needs === 'any' || (TEMPLATES[n].needs === 'apps' ? p.target !== 'actions' : p.target !== 'apps'));
  let chosen: string[];
  if (o.templates !== undefined) {
    chosen = o.templates === 'all' ? fits : o.templates === 'none' ? [] : o.templates.split(',').map((s) => s.trim()).filter(Boolean);
    for (const c of chosen) if (!TEMPLATE_NAMES.includes(c as never)) throw new UsageError(`--templates: unknown template "${c}" (choose from ${TEMPLATE_NAMES.join(', ')}, all or none)`);
  } else if (io.interactive) {
    chosen = await prompt.checkbox('Write any of these files?', fits.map((n) => ({ value: n, name: `${TEMPLATES[n].dest} — ${TEMPLATES[n].describe}` })), '--templates');
  } else {
    chosen = [];
  }
  const scopes = p.scopes?.length ? p.scopes : ['openid'];
  const doctorArgs = p.provider === 'sandbox' ? '--sandbox' + (p.target === 'actions' ? ' --target actions' : '')
    : p.target === 'actions' ? '--target actions' : p.mcpUrl ?? '';
  const values: Record<string, string> = {
    target: p.target, version: VERSION, doctorArgs, doctorSteps: workflowSteps(p),
    apiOrigin: p.apiUrl ? new URL(p.apiUrl).origin : `https://${PLACEHOLDER}.api.example.com`,
    authUrl: p.authUrl ?? found.authUrl ?? `https://${PLACEHOLDER}.auth.example.com/authorize`, tokenUrl: p.tokenUrl ?? found.tokenUrl ?? `https://${PLACEHOLDER}.auth.example.com/token`,
    scopesYaml: scopes.map((s) => `            ${s}: ${s}`).join('\n'), scopesList: scopes.join(', '), scopesJson: JSON.stringify(scopes),
    mcpUrl: p.mcpUrl ?? found.resource ?? `https://${PLACEHOLDER}.api.example.com/mcp`, issuer: p.issuer ?? `https://${PLACEHOLDER}.auth.example.com`,
    jwksUri: found.jwksUri ?? (p.issuer ? `${p.issuer.replace(/\/$/, '')}/.well-known/jwks.json` : `https://${PLACEHOLDER}.auth.example.com/.well-known/jwks.json`),
    audienceExpr: p.provider === 'supabase' ? "'authenticated' /* Supabase cannot bind the audience; check client_id too */" : 'MCP_URL',
    resourceName: 'MCP server',
    envLines: envExample(p),
  };
  const written: { name: string; path: string; status: string }[] = [];
  // Provider- and user-supplied values go into files people open in editors and terminals.
  for (const k of Object.keys(values)) values[k] = safeText(values[k], 100_000);
  for (const n of chosen as (typeof TEMPLATE_NAMES)[number][]) {
    const content = await renderTemplate(n, values);
    if (secrets.clientSecret && content.includes(secrets.clientSecret)) throw new CliError('refusing to write a template that contains the client secret');
    const r = await writeTemplate(dir, n, content, !!o.force);
    if (r.status === 'written') say(`✔ Wrote ${r.path}`);
    else if (r.status === 'unchanged') say(`✔ ${r.path} is up to date`);
    else say(`! ${r.path} exists and differs; not overwritten (use --force). What would change:\n${r.diff ?? ''}`);
    if (r.status !== 'kept' && content.includes(`https://${PLACEHOLDER}.`)) say(`! ${r.path} still has values gpt-oauth could not discover, marked ${PLACEHOLDER}: set them before deploying`);
    written.push({ name: n, path: r.path, status: r.status });
  }
  return written;
}

/**
 * The variables the project's own commands read, by target and provider: an apps-only project
 * has no GPT Action secret, and the sandbox needs none at all.
 */
function envExample(p: Pick<ProjectFile, 'target' | 'provider'>): string {
  const lines: string[] = [];
  if (p.provider === 'sandbox') return '# Nothing to set: the sandbox (gpt-oauth doctor --sandbox) needs no secret.';
  if (p.target !== 'actions') {
    lines.push(
      '# The ChatGPT App (MCP), in CI without a browser: the client and the refresh token that',
      '# `gpt-oauth doctor URL --save-refresh-token` kept (`--export-refresh-token` prints the token);',
      '# gpt-oauth doctor URL --client-id "$GPT_OAUTH_CLIENT_ID" --refresh-token-env GPT_OAUTH_REFRESH_TOKEN',
      'GPT_OAUTH_CLIENT_ID=', 'GPT_OAUTH_REFRESH_TOKEN=');
  }
  if (p.target !== 'apps') lines.push('# The GPT Action\'s client secret (for gpt-oauth doctor --target actions)', 'GPT_OAUTH_CLIENT_SECRET=');
  const byProvider: Record<string, string[]> = {
    clerk: ['CLERK_SECRET_KEY='], auth0: ['AUTH0_DOMAIN=', 'AUTH0_CLIENT_ID=', 'AUTH0_CLIENT_SECRET='],
    stytch: ['STYTCH_PROJECT_ID=', 'STYTCH_SECRET='], supabase: ['SUPABASE_PROJECT_REF=', 'SUPABASE_ACCESS_TOKEN='],
  };
  const uses = ['gpt-oauth init', ...(p.target !== 'apps' ? ['callbacks'] : []), 'doctor --fix'];
  if (byProvider[p.provider]) lines.push(`# ${p.provider} management credentials (for ${uses.slice(0, -1).join(', ')} and ${uses.at(-1)})`, ...byProvider[p.provider]!);
  return lines.join('\n');
}

export async function offerOpen(io: IO, o: InitOptions, prompt: Prompter, provider: ProviderName, say: (l?: string) => void): Promise<void> {
  const wanted = o.open ?? (io.interactive ? await prompt.confirm('Open the provider dashboard and ChatGPT in your browser?', '--open', false) : false);
  if (!wanted) return;
  const { default: open } = await import('open');
  for (const url of [CREDENTIALS[provider].dashboard, GPT_EDITOR_URL]) {
    await open(url).catch(() => say(`Could not open ${url}`));
  }
}

/**
 * The workflow's doctor steps: the gpt-oauth action (action.yml) once per target (`both` is apps
 * and actions, each with its own report files). The apps step passes the repository's saved
 * refresh token and client id (secret GPT_OAUTH_REFRESH_TOKEN, variable GPT_OAUTH_CLIENT_ID): the
 * action starts from the token when there is one and signs in with --login auto otherwise. The
 * actions step passes the secret GPT_OAUTH_CLIENT_SECRET and, on a custom server, the client id
 * from the variable GPT_OAUTH_ACTION_CLIENT_ID (a different client from the apps one). The
 * action picks up .gpt-oauth-baseline.yaml by itself.
 */
function workflowSteps(p: { provider: string; target: string; mcpUrl?: string }): string {
  const targets = p.target === 'both' ? ['apps', 'actions'] : [p.target];
  return targets.map((t, i) => {
    const suffix = targets.length > 1 ? `-${t}` : '';
    const sandbox = p.provider === 'sandbox';
    const url = t === 'apps' && !sandbox ? p.mcpUrl : undefined;
    return [
      `      - name: gpt-oauth doctor (${t})`,
      `        id: doctor${suffix}`,
      // The second target runs even when the first failed (both reports are wanted).
      ...(i > 0 ? ['        if: ${{ !cancelled() }}'] : []),
      `        uses: ${GITHUB_ACTION}`,
      '        with:',
      ...(url ? [`          url: ${url}`] : []),
      ...(t === 'actions' ? ['          target: actions'] : []),
      ...(t === 'apps' && !sandbox ? ['          client-id: ${{ vars.GPT_OAUTH_CLIENT_ID }}', '          refresh-token: ${{ secrets.GPT_OAUTH_REFRESH_TOKEN }}'] : []),
      // The GPT Action's client on the user's own server: init cannot know it, so a repository
      // variable can give it (gpt-oauth.yaml's app.clientId serves when the variable is unset).
      ...(t === 'actions' && p.provider === 'custom' ? ['          client-id: ${{ vars.GPT_OAUTH_ACTION_CLIENT_ID }}'] : []),
      ...(t === 'actions' && !sandbox ? ['          client-secret: ${{ secrets.GPT_OAUTH_CLIENT_SECRET }}'] : []),
      `          report: gpt-oauth-report${suffix}.md`,
      `          junit: gpt-oauth-junit${suffix}.xml`,
      `          args: ${sandbox ? '--sandbox ' : ''}--trace gpt-oauth-trace${suffix}.har`,
    ].join('\n');
  }).join('\n');
}

export async function offerDoctor(io: IO, o: InitOptions, prompt: Prompter, configFile: string, target: string, say: (l?: string) => void): Promise<number> {
  const wanted = o.doctor ?? (io.interactive ? await prompt.confirm('Run gpt-oauth doctor now?', '--doctor', true) : false);
  if (!wanted) return EXIT.ok;
  say('');
  const { doctor } = await import('../doctor/index.js');
  if (target !== 'both') return doctor(io, { config: configFile });
  // Both means both: the apps suite, then the actions suite; a failure outranks incomplete.
  const codes = [await doctor(io, { config: configFile, target: 'apps' }), await doctor(io, { config: configFile, target: 'actions' })];
  return codes.includes(EXIT.failed) ? EXIT.failed : codes.find((c) => c !== EXIT.ok) ?? EXIT.ok;
}
