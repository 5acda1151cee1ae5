/** Drive a real terminal program in tmux: type, press keys, read the screen. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/**
 * Each terminal has a tmux server of its own (`-L`, a socket of its own): on the shared default
 * socket a test that killed the last session stopped the server while another test's
 * `new-session` was connecting to it ("server exited unexpectedly"), and a person's own tmux
 * sessions would be in the way.
 */
export class Terminal {
  readonly name = `gpt-oauth-test-${randomBytes(4).toString('hex')}`;
  private readonly socket = ['-L', this.name];

  constructor(command: string, cwd: string, size: { cols: number; rows: number } = { cols: 160, rows: 60 }) {
    execFileSync('tmux', [...this.socket, 'new-session', '-d', '-s', this.name, '-x', String(size.cols), '-y', String(size.rows), '-c', cwd, command]);
  }

  /** Only what is on the screen now (no scrollback). */
  visible(): string {
    try {
      return execFileSync('tmux', [...this.socket, 'capture-pane', '-p', '-J', '-t', this.name], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  screen(): string {
    try {
      return execFileSync('tmux', [...this.socket, 'capture-pane', '-p', '-J', '-S', '-300', '-t', this.name], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const s = this.screen();
      if (re.test(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${re}; screen:\n${this.screen()}`);
  }

  keys(...keys: string[]): void {
    execFileSync('tmux', [...this.socket, 'send-keys', '-t', this.name, ...keys]);
  }

  type(text: string): void {
    execFileSync('tmux', [...this.socket, 'send-keys', '-t', this.name, '-l', text]);
  }

  kill(): void {
    spawnSync('tmux', [...this.socket, 'kill-server']);
    // tmux leaves its socket file behind: $TMUX_TMPDIR/tmux-<uid>/<name>.
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.name), { force: true });
  }
}

/** The exit code a terminal command wrote with `echo $? > FILE`, once it has finished. */
export async function exitCodeFrom(file: string, timeoutMs = 30_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (existsSync(file) && readFileSync(file, 'utf8').trim()) return Number(readFileSync(file, 'utf8').trim());
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the program did not finish');
}
