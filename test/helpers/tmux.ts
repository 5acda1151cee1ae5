/** Drive a real terminal program in tmux: type, press keys, read the screen. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export class Terminal {
  readonly name = `gpt-oauth-test-${randomBytes(4).toString('hex')}`;

  constructor(command: string, cwd: string, size: { cols: number; rows: number } = { cols: 160, rows: 60 }) {
    execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(size.cols), '-y', String(size.rows), '-c', cwd, command]);
  }

  /** Only what is on the screen now (no scrollback). */
  visible(): string {
    try {
      return execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', this.name], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  screen(): string {
    try {
      return execFileSync('tmux', ['capture-pane', '-p', '-J', '-S', '-300', '-t', this.name], { encoding: 'utf8' });
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
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name]);
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
