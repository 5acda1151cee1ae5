/**
 * `--login command`: sign-ins without a person, for CI. A command the person wrote
 * (`--login-command`, e.g. the README's Playwright script) gets the authorize URL in
 * GPT_OAUTH_AUTHORIZE_URL and the redirect URI in GPT_OAUTH_REDIRECT_URI. With a client the
 * doctor registers it runs once and drives one browser through every sign-in of the run (the
 * chain); otherwise it runs once per sign-in and prints the URL the browser ended on as its last
 * line. It is stopped after --login-timeout; its failure is the tester's side (incomplete).
 */
import { spawn } from 'node:child_process';
import { registerSecret } from '../http/redact.js';
import { CONNECTOR_REDIRECT } from '../chatgpt/redirects.js';
import { LoginError, type LoginDriver, type LoginOptions } from './driver.js';
import { ChainLogin } from './chain.js';

export class CommandLogin implements LoginDriver {
  readonly mode = 'command' as const;
  readonly redirectUri: string;
  constructor(private readonly o: LoginOptions) {
    this.redirectUri = o.redirectUri ?? CONNECTOR_REDIRECT;
  }

  obtain(authorizeUrl: URL, _state: string, purpose: string, redirectUri?: string): Promise<URL> {
    // Every sign-in is shown with its number ("login N of up to M"), as in the other modes.
    this.o.say(`Signing in (${purpose}) with --login-command`);
    return this.run(authorizeUrl, redirectUri);
  }

  /** Run the command once for this authorization URL; the URL it printed last. */
  async run(authorizeUrl: URL, redirectUri?: string): Promise<URL> {
    const timeoutMs = this.o.loginTimeoutMs ?? 300_000;
    const env = { ...(this.o.env ?? process.env), GPT_OAUTH_AUTHORIZE_URL: authorizeUrl.href, GPT_OAUTH_REDIRECT_URI: redirectUri ?? this.redirectUri };
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(this.o.loginCommand!, { shell: true, env, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      const hint = 'fix the --login-command (run it by hand with GPT_OAUTH_AUTHORIZE_URL set to see what it does)';
      const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new LoginError(`--login-command did not finish within ${timeoutMs / 1000} s`, hint)); }, timeoutMs);
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (stdout.length > 65536) child.kill(); });
      child.on('error', (e) => { clearTimeout(timer); reject(new LoginError(`--login-command could not start: ${e.message}`, hint)); });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) reject(new LoginError(`--login-command exited with ${code}`, hint));
        else resolve(stdout);
      });
    });
    const last = out.trim().split(/\r?\n/).pop() ?? '';
    try {
      const u = new URL(last.trim());
      registerSecret(u.searchParams.get('code'), 'code');
      return u;
    } catch {
      throw new LoginError('--login-command must print the final redirect URL as its last line of output', 'make the --login-command print the URL the browser ended on as its last line');
    }
  }

  async close(): Promise<void> {}
}

/**
 * `--login command` once per run: the command gets the first authorization URL and, as
 * GPT_OAUTH_REDIRECT_URI, the listener's last page; it drives one browser through every
 * authorization of the chain (the listener redirects from each callback to the next) and exits
 * when the browser reaches that page. Sign-ins that must end on another redirect URI (ChatGPT's
 * own) run the command once each, as before.
 */
export class CommandChainLogin implements LoginDriver {
  readonly mode = 'command' as const;
  private child?: import('node:child_process').ChildProcess;
  private readonly single: CommandLogin;
  private constructor(private readonly o: LoginOptions, private readonly chain: ChainLogin) {
    this.single = new CommandLogin(o);
  }
  get redirectUri(): string { return this.chain.redirectUri; }

  static async start(o: LoginOptions): Promise<CommandChainLogin> {
    let self: CommandChainLogin | undefined;
    const chain = await ChainLogin.start({ ...o, say: o.say }, async (url, doneUrl) => self!.run(url, doneUrl));
    self = new CommandChainLogin(o, chain);
    return self;
  }

  private async run(url: URL, doneUrl: string): Promise<void> {
    const hint = 'fix the --login-command (run it by hand with GPT_OAUTH_AUTHORIZE_URL set to see what it does)';
    const env = { ...(this.o.env ?? process.env), GPT_OAUTH_AUTHORIZE_URL: url.href, GPT_OAUTH_REDIRECT_URI: doneUrl };
    // Its own process group, so that it can be stopped with everything it started (a browser).
    const child = spawn(this.o.loginCommand!, { shell: true, env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    this.child = child;
    child.on('error', (e) => this.chain.ended(new LoginError(`--login-command could not start: ${e.message}`, hint)));
    child.on('close', (code) => {
      this.child = undefined;
      if (this.closing) return;
      // Its job ends at the last page. One that fails cannot sign in; one that ends early (an
      // older script that stops at the first callback) is started again for the next sign-in.
      this.chain.ended(code === 0 ? undefined : new LoginError(`--login-command exited with ${code}`, hint));
    });
  }

  obtain(authorizeUrl: URL, expectedState: string, purpose: string, redirectUri?: string): Promise<URL> {
    if (redirectUri && redirectUri !== this.redirectUri) {
      // Shown like the chain's sign-ins: a sign-in that printed nothing left a gap in the numbers.
      this.o.say(`  ${purpose} — a run of --login-command of its own (it must end on ChatGPT's own redirect URI, which the tab's listener cannot receive)`);
      return this.single.run(authorizeUrl, redirectUri);
    }
    return this.chain.obtain(authorizeUrl, expectedState, purpose);
  }

  get askedAgain(): string | undefined { return this.chain.askedAgain; }

  private closing = false;

  async close(): Promise<void> {
    this.closing = true;
    await this.chain.close();
    // The command reaches the last page now; give it a moment to exit by itself.
    const child = this.child;
    if (child) {
      // Then its whole process group: SIGTERM, and SIGKILL for what handles SIGTERM (Playwright does).
      const stop = (signal: NodeJS.Signals) => { try { process.kill(-child.pid!, signal); } catch { child.kill(signal); } };
      await new Promise<void>((r) => { const t = setTimeout(() => { stop('SIGTERM'); setTimeout(() => { stop('SIGKILL'); r(); }, 500); }, 5000); child.once('close', () => { clearTimeout(t); stop('SIGKILL'); r(); }); });
    }
  }
}
