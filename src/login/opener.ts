/**
 * Whether a browser can open on this machine, and opening it. On Linux (not WSL) a graphical
 * browser needs a display: without DISPLAY and WAYLAND_DISPLAY (an SSH session, a container) the
 * system opener fails (xdg-open exits 3) and a sign-in would wait for nothing. `GPT_OAUTH_BROWSER`
 * names a program to run instead (given the URL as its only argument, never through a shell).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** How long an opener may run before it counts as having opened the browser. */
const OPENER_GRACE_MS = 3000;

/** A program name found on PATH (or a path to an executable file), else undefined. */
function findProgram(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  const executable = (p: string) => { try { accessSync(p, constants.X_OK); return true; } catch { return false; } };
  if (cmd.includes('/') || isAbsolute(cmd)) return executable(cmd) ? cmd : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, cmd);
    if (executable(p)) return p;
  }
  return undefined;
}

/**
 * Why no browser can open here, before trying (undefined: one may). Only what is sure: a
 * GPT_OAUTH_BROWSER program that does not exist, or Linux without a display.
 */
export function noBrowserHere(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | undefined {
  const custom = env.GPT_OAUTH_BROWSER?.split(' ').filter(Boolean)[0];
  if (custom) return findProgram(custom, env) ? undefined : `GPT_OAUTH_BROWSER names "${custom.slice(0, 200)}", which is not a program on this machine`;
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY && !env.WSL_DISTRO_NAME) {
    return 'no display (DISPLAY and WAYLAND_DISPLAY are unset: an SSH session or a container?)';
  }
  return undefined;
}

/** Resolves once the opener ran for a while or ended well; rejects when it could not start or failed. */
function watch(child: ChildProcess, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, OPENER_GRACE_MS);
    timer.unref();
    child.once('error', (e) => { clearTimeout(timer); reject(new Error(`${what} could not start: ${e.message}`)); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} exited with ${code ?? signal}`));
    });
  });
}

/**
 * Open the browser with a URL the doctor built. Rejects, with the reason, when no browser can
 * open: no display, a GPT_OAUTH_BROWSER that is missing or fails, the system opener's exit status.
 */
export async function openBrowser(url: URL, env: NodeJS.ProcessEnv): Promise<void> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('refusing to open a non-http URL');
  const none = noBrowserHere(env);
  if (none) throw new Error(none);
  const custom = env.GPT_OAUTH_BROWSER;
  if (custom) {
    const [cmd, ...args] = custom.split(' ').filter(Boolean);
    const child = spawn(cmd!, [...args, url.href], { stdio: 'ignore', detached: false, env });
    return watch(child, `GPT_OAUTH_BROWSER (${cmd!.slice(0, 200)})`);
  }
  const { default: open } = await import('open');
  const child = await open(url.href, { wait: false });
  return watch(child, 'the system browser opener');
}
