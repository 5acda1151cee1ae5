/**
 * `npx gpt-oauth doctor --sandbox` typed by a person in a real terminal (tmux): the whole suite
 * runs offline with the sandbox's test user, and no browser is opened unless asked for.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { exitCodeFrom, hasTmux, Terminal } from './helpers/tmux.js';
import { SANDBOX_PASSED } from './helpers/report-schema.js';

let term: Terminal | undefined;
afterEach(() => { term?.kill(); term = undefined; });


describe.skipIf(!hasTmux)('doctor --sandbox in a terminal', () => {
  for (const [target, passed] of [['apps', SANDBOX_PASSED], ['actions', 10]] as const) {
    it(`--target ${target}: every check passes and no browser is opened`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-doctor-'));
      const opened = join(dir, 'browser-was-opened');
      const browser = join(dir, 'browser.sh');
      writeFileSync(browser, `#!/bin/sh\necho "$1" > '${opened}'\n`);
      chmodSync(browser, 0o755);
      const exitFile = join(dir, 'exit-code');
      const cmd = `env -u CI -u GPT_OAUTH_NO_INPUT TERM=xterm-256color GPT_OAUTH_BROWSER='${browser}' '${process.execPath}' '${BIN}' doctor --sandbox --target ${target}; echo $? > '${exitFile}'; sleep 30`;
      term = new Terminal(cmd, dir);
      expect(await exitCodeFrom(exitFile, 30_000)).toBe(0);
      const screen = term.screen();
      expect(screen).toMatch(/\(login: auto\)/);
      // The run's totals on their own line under the two verdicts, not on the ChatGPT line.
      expect(screen).toMatch(new RegExp(`ChatGPT can connect *\\n[^\\n]+\\n +all checks: ${passed} passed, 0 failed`));
      expect(existsSync(opened)).toBe(false);
    });
  }
});

describe.skipIf(!hasTmux)('Ctrl-C in a terminal', () => {
  // A server that accepts connections and never answers: without Ctrl-C the run would wait for
  // --timeout (10 s) per request.
  let hang: import('node:net').Server | undefined;
  afterEach(() => { hang?.close(); hang = undefined; });

  const interrupt = async (args: string, waitFor: RegExp) => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-int-'));
    const exitFile = join(dir, 'exit-code');
    term = new Terminal(`env -u CI -u GPT_OAUTH_NO_INPUT TERM=xterm-256color GPT_OAUTH_BROWSER=true '${process.execPath}' '${BIN}' doctor ${args}; echo $? > '${exitFile}'; sleep 30`, dir);
    await term.waitFor(waitFor, 20_000);
    const pressed = Date.now();
    term.keys('C-c');
    const code = await exitCodeFrom(exitFile, 10_000);
    return { code, ms: Date.now() - pressed, screen: term.screen() };
  };

  it('stops the doctor within a second while the spinner runs, and exits 130', async () => {
    const { createServer } = await import('node:net');
    hang = createServer((c) => c.on('data', () => undefined));
    await new Promise<void>((r) => hang!.listen(0, '127.0.0.1', () => r()));
    const port = (hang.address() as { port: number }).port;
    const { code, ms, screen } = await interrupt(`http://127.0.0.1:${port}/mcp --login auto`, /Ctrl-C to stop/);
    expect(code).toBe(130);
    expect(ms).toBeLessThan(1500);
    expect(screen).toMatch(/Stopping \(Ctrl-C\)/);
  });

  it('says it waits for the browser sign-in with the time left; Ctrl-C stops that wait within a second, exit 130', async () => {
    // While it waits, the spinner says so, with the time left.
    const { code, ms, screen } = await interrupt('--sandbox --login browser --login-timeout 300', /waiting for the sign-in in your browser — [45]:\d\d left/);
    expect(code).toBe(130);
    expect(ms).toBeLessThan(1500);
    // What ran before the sign-in (discovery, registration) is not lost.
    expect(screen).toMatch(/Stopped after \d+ checks finished: \d+ passed, 0 failed/);
  });
});

describe.skipIf(!hasTmux)('a secret is never shown in a terminal', () => {
  it('--export-refresh-token refuses a terminal (exit 2) and says how to pipe it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-export-'));
    const exitFile = join(dir, 'exit-code');
    term = new Terminal(`env -u CI TERM=xterm-256color GPT_OAUTH_CONFIG_DIR='${dir}' '${process.execPath}' '${BIN}' doctor http://127.0.0.1:9/mcp --export-refresh-token; echo $? > '${exitFile}'; sleep 30`, dir);
    expect(await exitCodeFrom(exitFile, 20_000)).toBe(2);
    expect(term.screen()).toMatch(/--export-refresh-token writes a secret: pipe it into your CI secret store[\s\S]*\| gh secret set GPT_OAUTH_REFRESH_TOKEN/);
  });
});

/**
 * A terminal that reports 0 columns and 0 rows (`script -c`, some `docker exec -t`): an animated
 * spinner divides by the width to know how many lines to clear, and once wrote `ESC[1A ESC[0K`
 * without end — hundreds of MB, deaf to Ctrl-C. The run must end as it does anywhere else.
 */
describe('a terminal that reports a size of 0×0 (script -c)', () => {
  const hasScript = (() => { try { return execFileSync('script', ['--version'], { encoding: 'utf8' }).includes('util-linux'); } catch { return false; } })();

  const inZeroTerminal = (args: string, env: string) => new Promise<{ code: number | null; out: string; bytes: number }>((resolve) => {
    // The shell writes its pid and becomes the CLI (exec), so a run that does not end can be
    // killed: it lives in the pseudo-terminal's own session, out of reach of script's signals.
    const pidFile = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-zero-')), 'pid');
    const inner = `stty cols 0 rows 0; echo $$ > '${pidFile}'; exec env ${env} '${process.execPath}' '${BIN}' ${args}`;
    const child = spawn('script', ['-qec', inner, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let bytes = 0;
    const take = (d: Buffer) => { bytes += d.length; if (out.length < 200_000) out += d.toString(); };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    // Well past what the sandbox run takes; the old code was still clearing lines at this point.
    const timer = setTimeout(() => {
      try { process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL'); } catch { /* gone */ }
      child.kill('SIGKILL');
    }, 45_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out, bytes }); });
  });

  it.skipIf(!hasScript)('doctor --sandbox --no-input ends normally, with a bounded output and no spinner', async () => {
    const { code, out, bytes } = await inZeroTerminal('doctor --sandbox --no-input', '-u CI -u GPT_OAUTH_NO_INPUT TERM=xterm-256color');
    expect(code).toBe(0);
    expect(out).toMatch(/ChatGPT can connect/);
    expect(bytes).toBeLessThan(20_000);
    // No cursor-up / clear-line animation at all with --no-input.
    expect(out).not.toMatch(/\x1b\[1A/);
  }, 60_000);

  it.skipIf(!hasScript)('doctor --sandbox at an interactive 0×0 terminal ends normally too (steps as lines)', async () => {
    const { code, out, bytes } = await inZeroTerminal('doctor --sandbox', '-u CI -u GPT_OAUTH_NO_INPUT TERM=xterm-256color GPT_OAUTH_BROWSER=true');
    expect(code).toBe(0);
    expect(out).toMatch(/^Discovery…/m);
    expect(bytes).toBeLessThan(20_000);
  }, 60_000);
});
