/**
 * The command tree. Only commander is loaded here: each command's code is imported when that
 * command runs, so `--help` stays fast (no openid-client, oidc-provider or provider code).
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './errors.js';
import { installInterrupt } from './ui/interrupt.js';
import { createIO, type GlobalOptions, type IO } from './ui/io.js';
import { VERSION } from './version.js';
import { redact } from './http/redact.js';
import { safeText } from './text.js';
// Types only: erased at build time, so --help still loads no command code.
import type { DoctorOptions } from './commands/doctor/options.js';
import type { InitOptions } from './commands/init/index.js';
import type { CallbacksOptions } from './commands/callbacks.js';
import type { SandboxCommandOptions } from './commands/sandbox.js';

type Action = (io: IO, args: unknown[], opts: Record<string, unknown>) => Promise<number | void>;

function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  return { json: !!o.json, input: o.input !== false, color: o.color !== false, debug: !!o.debug, config: o.config as string | undefined };
}

export function buildProgram(run: (cmd: Command, action: Action, args: unknown[]) => void): Command {
  const program = new Command('gpt-oauth')
    .description('Set up, diagnose and conformance-test OAuth for ChatGPT Apps (MCP connectors) and custom GPT Actions.')
    .version(VERSION, '-v, --version')
    .option('--json', 'machine-readable output on stdout only')
    .option('--no-input', 'never prompt (also implied by CI=true or a non-TTY stdin)')
    .option('--no-color', 'disable colour (also NO_COLOR)')
    .option('--debug', 'stack traces and the HTTP trace on stderr, secrets redacted')
    .option('--config <file>', 'project file (default: ./gpt-oauth.yaml; a file given here must exist, except for init, which writes it)')
    .showHelpAfterError('(run with --help for usage)')
    // Every subcommand's --help lists the global flags too (set before the subcommands copy it).
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', `
Examples:
  $ gpt-oauth doctor --sandbox                     try everything offline
  $ gpt-oauth doctor https://api.example.com/mcp    check an MCP server as ChatGPT would
  $ gpt-oauth init                                  guided set-up on Clerk, Auth0, Stytch or Supabase
  $ gpt-oauth callbacks add --gpt-id g-AbC123xyz    register a saved GPT's callback URLs
                                                    (in the folder init set up; elsewhere add
                                                    --provider NAME --app CLIENT_ID)

Exit codes: 0 ok, 1 a check or operation failed, 2 usage or configuration error,
3 incomplete (the doctor could not finish, e.g. sign-in), 130 interrupted.`)
    .exitOverride();

  program
    .command('doctor')
    .description('run the conformance and diagnosis suite against a live server, acting as ChatGPT would')
    .argument('[url]', 'the MCP server URL exactly as typed into ChatGPT (target apps)')
    .optionsGroup('What to check:')
    .addOption(new Option('--target <target>', 'which ChatGPT client to emulate').choices(['apps', 'actions']))
    .option('--sandbox', 'start the embedded reference server on a free loopback port and test it')
    .option('--mixed-auth', 'with --sandbox: run the sandbox in mixed auth mode (public tool list, per-tool OAuth)')
    .option('--client-id <id>', 'apps: use a predefined client instead of registering one; actions: the GPT\'s client id')
    .option('--client-secret-env <name>', 'environment variable holding the client secret (default GPT_OAUTH_CLIENT_SECRET)')
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .option('--scope <scopes>', 'apps: scopes to request instead of the ones ChatGPT would pick; actions: the Scope field')
    .option('--auth-url <url>', 'actions: the Authorization URL of the GPT editor')
    .option('--token-url <url>', 'actions: the Token URL of the GPT editor')
    .option('--gpt-id <id>', 'actions: the GPT id (g-…), shown once the GPT is saved')
    .option('--api-url <url>', 'actions: a protected GET endpoint of the action\'s API')
    .option('--openapi <file>', 'actions: the action\'s OpenAPI document (its oauth2 scheme and servers supply the URLs)')
    .addOption(new Option('--provider <name>', 'apps: the provider behind the issuer when gpt-oauth cannot tell (a custom domain): its advice, and what --fix changes').choices(['auth0', 'clerk', 'stytch', 'supabase']))
    .optionsGroup('Sign-in:')
    .addOption(new Option('--login <mode>', 'how to obtain authorization codes (default: browser with a TTY (manual for --target actions), auto otherwise and with --sandbox)').choices(['browser', 'manual', 'auto', 'command']))
    .option('--login-command <cmd>', 'with --login command: prints the final redirect URL; gets GPT_OAUTH_AUTHORIZE_URL and GPT_OAUTH_REDIRECT_URI')
    .option('--login-timeout <duration>', 'how long to wait for a sign-in: seconds (300, 90s) or minutes (5m)', '300')
    .option('--extra-sign-ins', 'apps: do the security checks\' sign-ins that each need the person (--login manual\'s pastes; a server that asks on every sign-in) without asking')
    .option('--no-extra-sign-ins', 'apps: finish without the security checks whose sign-ins would each need the person (they are skipped; the security verdict is incomplete)')
    .option('--refresh-token-env <name>', 'apps, CI: start from the refresh token in this variable instead of a new authorization (needs --client-id; the checks that need a sign-in do not run: partial verdicts, as with --only)')
    .option('--save-refresh-token', 'apps: keep the client and store the newest refresh token (OS keyring or 0600 file) for --refresh-token-env')
    .option('--export-refresh-token', 'write the refresh token --save-refresh-token stored for URL to stdout, for a pipe into a CI secret store (never to a terminal)')
    .optionsGroup('Scope of the run:')
    .option('--only <ids>', 'run only these checks (ids or prefixes like token.); the verdicts cover only them (partial)')
    .option('--skip <ids>', 'skip these checks (ids or prefixes)')
    .option('--list-checks', 'list the checks of the target (id, impact, severity, title) and exit, without a request; with --json as JSON')
    .option('--timeout <duration>', 'per-request timeout: milliseconds (10000, 500ms) or seconds (10s); at least 250 ms', '10000')
    .option('--deadline <duration>', 'the whole run ends after this long (checks not reached are incomplete): seconds (600, 90s) or minutes (10m)', '600')
    .option('--allow-host <hosts>', 'also fetch metadata URLs on these hosts (comma separated), outside the server\'s and issuer\'s domains')
    .option('--allow-private-network', 'allow private and loopback targets for a public server')
    .optionsGroup('Output:')
    .option('--verbose', 'list every check, passes and skips included (and one progress line per step without a terminal)')
    .option('--report <file>', 'also write a Markdown summary: what failed first, ChatGPT\'s path as a picture, the rest folded')
    .option('--junit <file>', 'also write the checks as JUnit XML')
    .option('--trace <file>', 'write every HTTP exchange as HAR 1.2, secrets redacted')
    .optionsGroup('CI:')
    .addOption(new Option('--fail-on <impact>', 'which failures make exit 1: chatgpt (ChatGPT breaks), security, or all').choices(['chatgpt', 'security', 'all']).default('all'))
    .option('--baseline <file>', 'accepted failures/warnings: fail only on regressions')
    .option('--write-baseline <file>', 'write the current failures/warnings as a baseline')
    .optionsGroup('Fixing the provider (--fix):')
    .option('--fix', 'apply the provider settings behind the failures (apps: Auth0, Clerk, Supabase, Stytch; actions: the GPT\'s callbacks; credentials as for init), show the plan first, then run again')
    .option('--yes', 'with --fix: apply the plan without asking')
    .option('--connection <name>', 'with --fix on Auth0: the login connection to promote to domain level (DCR clients use only those)')
    .option('--authorization-url <url>', 'with --fix on Supabase (Site URL + authorization path) or Stytch: the URL of your app\'s consent page')
    .action(function (this: Command, url: string | undefined) {
      run(this, async (io, _a, opts) => (await import('./commands/doctor/index.js')).doctor(io, { ...opts as DoctorOptions, url }), [url]);
    })
    .addHelpText('after', `
Examples:
  $ gpt-oauth doctor https://api.example.com/mcp --login browser
  $ GPT_OAUTH_CLIENT_SECRET=… gpt-oauth doctor --target actions --openapi openapi.yaml --client-id ID --gpt-id g-AbC123xyz --login manual

Exit codes: 0 no failure, 1 a failure (see --fail-on), 2 usage error, 3 incomplete, 130 interrupted.`);

  program
    .command('init')
    .description('guided set-up: provision the OAuth app on your provider, write gpt-oauth.yaml, print what to paste into ChatGPT')
    .addOption(new Option('--target <target>', 'what you connect to ChatGPT').choices(['actions', 'apps', 'both']))
    .addOption(new Option('--provider <name>', 'the OAuth provider').choices(['clerk', 'auth0', 'stytch', 'supabase', 'custom', 'sandbox', 'firebase', 'privy']))
    .option('--mcp-url <url>', 'apps: the MCP server URL as typed into ChatGPT')
    .option('--api-url <url>', 'actions: a protected GET endpoint of the action\'s API')
    .option('--gpt-id <id>', 'actions: the GPT id (g-…), when the GPT is saved')
    .option('--app <ref>', 'actions: reuse this OAuth app (id or client id) instead of creating one; custom: the client id you registered for the GPT Action')
    .option('--name <name>', 'name of the OAuth app to create or reuse')
    .option('--scopes <scopes>', 'scopes (space or comma separated)')
    .option('--connection <name>', 'auth0: the login connection to promote to domain level for DCR clients')
    .option('--authorization-url <url>', 'stytch: your app\'s authorization page (the IdentityProvider component); supabase: your consent page (its origin becomes the Site URL)')
    .option('--templates <names>', 'files to write: github-actions, openapi-security, protected-resource, mcp-middleware, env-example, all or none')
    .option('--force', 'overwrite existing template files')
    .option('-y, --yes', 'make the provider changes without asking')
    .option('--rotate-secret', 'actions: when a reused app\'s client secret is not stored here, have the provider issue a new one')
    .option('--doctor', 'run the doctor when done')
    .option('--no-doctor', 'do not offer to run the doctor')
    .option('--open', 'open the provider dashboard and ChatGPT when done')
    .option('--no-open', 'do not offer to open the browser')
    .action(function (this: Command) {
      run(this, async (io, _a, opts) => (await import('./commands/init/index.js')).run(io, opts as InitOptions), []);
    })
    .addHelpText('after', `
Examples:
  $ gpt-oauth init                                   answer the questions in a terminal
  $ gpt-oauth init --target actions --provider clerk --api-url https://api.example.com/me --gpt-id g-AbC123xyz --yes`);

  program
    .command('callbacks')
    .description('read or patch the callback (redirect) URLs of an OAuth app on a provider')
    .argument('<action>', 'list, add or remove')
    .addOption(new Option('--provider <name>', 'the provider').choices(['clerk', 'auth0', 'stytch', 'supabase']))
    .option('--app <ref>', 'the app: its id or client id (or exact name)')
    .option('--gpt-id <id>', 'add/remove both ChatGPT callback URLs of this GPT (g-…)')
    .option('--url <url...>', 'a redirect URL to add/remove (https, or http on loopback); repeatable')
    .option('--dry-run', 'show the change without making it')
    .action(function (this: Command, action: string) {
      run(this, async (io, _a, opts) => (await import('./commands/callbacks.js')).run(io, { ...opts as Omit<CallbacksOptions, 'action'>, action }), [action]);
    })
    .addHelpText('after', `
Examples:
  $ gpt-oauth callbacks add --gpt-id g-AbC123xyz     in a folder set up by init (provider and app from gpt-oauth.yaml)
  $ gpt-oauth callbacks list --provider auth0 --app CLIENT_ID --json`);

  program
    .command('sandbox')
    .description('start the embedded reference authorization server + protected MCP resource on loopback')
    .option('--port <port>', 'port on 127.0.0.1 (default: a free one)')
    .option('--login-page', 'show a sign-in page instead of approving every authorization at once')
    .option('--consent-page [when]', 'show a consent page: "new-client" (the default: the first time each client asks, as hosted providers do) or "every-time" (every authorization)')
    .option('--mixed-auth', 'mixed auth mode (Apps SDK): initialize and tools/list without a token, a protected tool that challenges in _meta')
    .action(function (this: Command) {
      run(this, async (io, _a, opts) => (await import('./commands/sandbox.js')).run(io, opts as SandboxCommandOptions), []);
    })
    .addHelpText('after', `
Examples:
  $ gpt-oauth sandbox                                 then run the doctor command it prints
  $ gpt-oauth sandbox --port 8787 --login-page --mixed-auth`);

  return program;
}

/** Parse argv and run. Returns the exit code; never calls process.exit. */
export async function main(argv: string[], proc = process): Promise<number | undefined> {
  let pending: Promise<number | void> | undefined;
  // Before parsing, --json is read from argv so that commander's own usage errors are JSON too.
  let io: IO = createIO({ json: argv.includes('--json') }, proc);
  // Ctrl-C stops any command within a second (src/ui/interrupt.ts); not when a test calls main.
  if (proc === process) installInterrupt((line) => proc.stderr.write(`${line}\n`));
  const program = buildProgram((cmd, action, args) => {
    io = createIO(globals(cmd), proc);
    pending = action(io, args, cmd.optsWithGlobals());
  });
  const output = {
    writeOut: (s: string) => proc.stdout.write(s),
    // One spelling of the error prefix: commander's own "error:" as the CLI's "Error:".
    writeErr: (s: string) => proc.stderr.write(s.replace(/^error: /, 'Error: ')),
  };
  // Subcommands were made before this: each gets the same output (their option errors too).
  for (const c of [program, ...program.commands]) c.configureOutput(output);
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (!pending) return EXIT.ok;
    const code = await pending;
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      // commander already printed the message on stderr; --json also gets it on stdout.
      if (io.json) io.stdout.write(`${JSON.stringify({ error: { code: 'usage', message: err.message.replace(/^error: /, ''), commander: err.code } })}\n`);
      return EXIT.usage;
    }
    return reportError(io, err);
  }
}

/** The one translator from an error to what a person (stderr) and a program (--json stdout) see. */
export function reportError(io: IO, err: unknown): number {
  if (err instanceof CliError) {
    if (io.json) {
      io.stdout.write(`${JSON.stringify({ error: { code: err.code, message: redact(err.message), ...(err.hint ? { hint: redact(err.hint) } : {}), ...err.details } })}\n`);
    }
    // Messages may quote provider or server text: stripped of control characters as well.
    // A cancel is the user's choice, not an error: its message alone ("Nothing changed.").
    io.stderr.write(`${err.code === 'cancelled' ? '' : 'Error: '}${safeText(redact(err.display), 4000)}\n`);
    if (err.hint) io.stderr.write(`${safeText(redact(err.hint), 4000)}\n`);
    if (io.debug && err.stack) io.stderr.write(`${redact(err.stack)}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  if (io.json) io.stdout.write(`${JSON.stringify({ error: { code: 'internal', message: redact(e?.message ?? String(err)) } })}\n`);
  io.stderr.write(`Error: ${safeText(redact(e?.message ?? String(err)), 4000)}\n`);
  if (io.debug && e?.stack) io.stderr.write(`${redact(e.stack)}\n`);
  else io.stderr.write('Run again with --debug for details.\n');
  return EXIT.failed;
}
