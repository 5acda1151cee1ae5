/**
 * The library API: the doctor and the sandbox inside your own tests (vitest, jest, node:test).
 * Nothing here prints or exits the process; `runDoctor` returns the same report object as
 * `gpt-oauth doctor --json` (secrets redacted) and stops when its `signal` aborts.
 */
import { HttpClient } from './http/client.js';
import { UrlPolicy } from './http/policy.js';
import { redactDeep, registerClientCredentials } from './http/redact.js';
import { VERSION } from './version.js';
import type { Report } from './doctor/types.js';

export type { Report } from './doctor/types.js';
export type { CheckResult } from './checks/types.js';
/** The report's JSON Schema (the tests validate every --json report with it). */
export { reportSchema } from './doctor/report-schema.js';

export interface RunDoctorOptions {
  /** The MCP server URL, as typed into ChatGPT (https, or http on loopback). */
  url: string;
  /** How authorization codes are obtained (default `auto`: a server that approves without a page). */
  login?: 'auto' | 'command';
  /** With `login: 'command'`: the command that signs in (see the README's --login command). */
  loginCommand?: string;
  /**
   * Check ids or prefixes to run (`['token.']`), or to leave out; one that names no check (or a
   * selection that leaves none) throws a TypeError before any request, as the CLI refuses it.
   */
  only?: string[];
  skip?: string[];
  /** A predefined client instead of dynamic registration, and its secret. */
  clientId?: string;
  clientSecret?: string;
  /** Per request (default 10 000 ms) and for the whole run (default 600 000 ms). */
  timeoutMs?: number;
  deadlineMs?: number;
  /** Other hosts the server may send the doctor to (`--allow-host`). */
  allowHosts?: string[];
  signal?: AbortSignal;
  /** The provider behind the issuer when its host does not say (a custom domain): fixes name its settings. */
  provider?: 'auth0' | 'clerk' | 'stytch' | 'supabase';
}

/** Run the apps suite against `url` as ChatGPT would; resolves to the `--json` report. */
export async function runDoctor(o: RunDoctorOptions): Promise<Report> {
  let u: URL;
  try { u = new URL(o.url); } catch { throw new TypeError(`runDoctor: url is not a URL: ${String(o.url).slice(0, 200)}`); }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError('runDoctor: url must be http(s)');
  // An unknown `only`/`skip` id is refused before any request, in the CLI's words (exit 2 there).
  if (o.only?.length || o.skip?.length) {
    const [{ APPS_CHECKS }, { selectionProblem }] = await Promise.all([import('./checks/apps/index.js'), import('./checks/engine.js')]);
    const problem = selectionProblem('apps', APPS_CHECKS, { only: o.only, skip: o.skip }, { only: 'only', skip: 'skip' });
    if (problem) throw new TypeError(`runDoctor: ${problem.message}${problem.hint ? `${/[?.]$/.test(problem.message) ? '' : '.'} ${problem.hint}` : ''}`);
  }
  o.signal?.throwIfAborted();
  const started = Date.now();
  const http = new HttpClient({
    policy: new UrlPolicy(o.url, { allowHosts: o.allowHosts }),
    timeoutMs: o.timeoutMs ?? 10_000,
    deadlineAt: started + (o.deadlineMs ?? 600_000),
    maxBytes: 1024 * 1024,
    userAgent: `gpt-oauth/${VERSION} (+https://www.npmjs.com/package/gpt-oauth-cli)`,
  });
  registerClientCredentials(o.clientId, o.clientSecret);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      // Every request still in flight ends now; the run's own promise then settles by itself.
      http.opts.deadlineAt = Date.now();
      void http.close();
      reject(o.signal!.reason ?? new DOMException('The run was aborted', 'AbortError'));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const { runAppsSuite } = await import('./doctor/suites/apps.js');
    o.signal?.throwIfAborted();
    const run = runAppsSuite({
      mcpUrl: o.url, provider: o.provider, http, login: o.login ?? 'auto', loginCommand: o.loginCommand,
      selection: { only: o.only ?? [], skip: o.skip ?? [] }, clientId: o.clientId, clientSecret: o.clientSecret,
    });
    const report = await (o.signal ? Promise.race([run, aborted]) : run);
    // The same object `--json` prints: redacted, and only what serializes.
    return JSON.parse(JSON.stringify(redactDeep(report))) as Report;
  } finally {
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
    await http.close();
  }
}

export interface StartSandboxOptions {
  /** 0 (default): a free port on 127.0.0.1. */
  port?: number;
  /** A sign-in page instead of approving every authorization at once. */
  loginPage?: boolean;
  /** Apps SDK mixed auth: initialize and tools/list public, a protected tool. */
  mixedAuth?: boolean;
}

/** The embedded authorization server and protected MCP server, on loopback, for your tests. */
export async function startSandbox(o: StartSandboxOptions = {}): Promise<{ url: string; issuer: string; close(): Promise<void> }> {
  const { startSandbox: start } = await import('./sandbox/server.js');
  const sb = await start({ port: o.port ?? 0, loginPage: !!o.loginPage, mixedAuth: !!o.mixedAuth });
  return { url: sb.mcpUrl, issuer: sb.issuer, close: () => sb.close() };
}
