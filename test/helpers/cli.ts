import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/gpt-oauth.js', import.meta.url));
const DIST = new URL('../../dist/', import.meta.url);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  cwd?: string;
  /** Run it as a separate process even where the in-process run would do (a test about the process itself). */
  process?: boolean;
}

/**
 * Run the built CLI as a user would, without a TTY: what it prints on stdout and stderr and the
 * exit code it returns.
 *
 * By default it runs in this process — `main(argv, proc)` of dist/cli.js with its own stdout,
 * stderr and environment (process.env, process.argv[1] and the working directory are swapped in
 * for the run, as a process would see them) — which saves a Node start and the module loads
 * (~0.4 s a run). It runs as a real process (bin/gpt-oauth.js) when the run is about the process
 * or needs one: `process: true`, standard input given or read (`--client-secret-stdin`,
 * `--login manual`), `--login browser` (a browser talks to the run's loopback listener; the run
 * keeps its own CPU share, as for a person), `--help`/`--version` (the launcher's own fast path), the `sandbox` command
 * (it runs until stopped), FORCE_COLOR (chalk reads it when loaded), another in-process run still
 * going (they would share process.env), and always with GPT_OAUTH_TEST_SPAWN=1 in the environment
 * of the test run (to run the whole suite against real processes).
 */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return inProcessOk(args, opts, env) ? runInProcess(args, opts, env as NodeJS.ProcessEnv) : runProcess(args, opts, env);
}

let running = 0;

function inProcessOk(args: string[], opts: CliOptions, env: Record<string, string | undefined>): boolean {
  if (opts.process || process.env.GPT_OAUTH_TEST_SPAWN === '1' || running > 0) return false;
  if (opts.input) return false;
  if (args.some((a) => ['--help', '-h', '--version', '-v', '--client-secret-stdin'].includes(a))) return false;
  const login = args.flatMap((a, i) => (a === '--login' ? [args[i + 1]] : a.startsWith('--login=') ? [a.slice(8)] : []));
  if (login.some((m) => m === 'manual' || m === 'browser')) return false;
  if (args.find((a) => !a.startsWith('-')) === 'sandbox') return false;
  if (env.FORCE_COLOR !== undefined) return false;
  return true;
}

function runProcess(args: string[], opts: CliOptions, env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`CLI timed out: ${args.join(' ')}\n${stderr}`)); }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(opts.input ?? '');
  });
}

const sink = (append: (s: string) => void) => new Writable({ write(chunk: Buffer | string, _enc, cb) { append(chunk.toString()); cb(); } });

async function runInProcess(args: string[], opts: CliOptions, env: NodeJS.ProcessEnv): Promise<CliResult> {
  running++;
  const saved = { env: process.env, argv1: process.argv[1], cwd: process.cwd() };
  let stdout = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  try {
    const { main } = await import(new URL('cli.js', DIST).href) as { main: (argv: string[], proc: unknown) => Promise<number | undefined> };
    // A process starts with no registered secrets: redaction depends on what this run saw.
    (await import(new URL('http/redact.js', DIST).href) as { clearSecrets: () => void }).clearSecrets();
    if (opts.cwd) process.chdir(opts.cwd);
    process.env = env;
    process.argv[1] = BIN;
    const run = main(args, { stdout: sink((s) => { stdout += s; }), stderr: sink((s) => { stderr += s; }), stdin: { isTTY: false }, env });
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`CLI timed out: ${args.join(' ')}\n${stderr}`)), opts.timeoutMs ?? 60_000); });
    const code = await Promise.race([run, timeout]);
    return { code: code ?? 0, stdout, stderr };
  } finally {
    clearTimeout(timer);
    process.env = saved.env;
    process.argv[1] = saved.argv1;
    if (opts.cwd) process.chdir(saved.cwd);
    running--;
  }
}
