/**
 * Ctrl-C. Every command stops within a second of it and exits 130: what registered a cleanup
 * (`onInterrupt`: the spinner, the browser listener, the sandbox, the temporary clients the run
 * can still delete) gets that second, then the process exits whatever is still pending. A second
 * Ctrl-C exits at once. A command that waits for Ctrl-C as its normal end (`sandbox`) claims it
 * (`claimInterrupt`) and handles it itself. Prompts put the terminal in raw mode and see Ctrl-C
 * as a key, not as SIGINT: they cancel as before.
 */
const cleanups = new Set<() => unknown>();
let claims = 0;
let stopping = false;

/** How long cleanups may take before the process exits anyway. */
const GRACE_MS = 1000;

/** Run `cleanup` on Ctrl-C (at most a second); returns the function that unregisters it. */
export function onInterrupt(cleanup: () => unknown): () => void {
  cleanups.add(cleanup);
  return () => { cleanups.delete(cleanup); };
}

/** While claimed, Ctrl-C is the claiming command's to handle (it listens for SIGINT itself). */
export function claimInterrupt(): () => void {
  claims++;
  let released = false;
  return () => { if (!released) { released = true; claims--; } };
}

/**
 * Take over SIGINT from the launcher (bin/gpt-oauth.js exits 130 until the CLI is loaded).
 * `say` prints the one line a person sees.
 */
export function installInterrupt(say: (line: string) => void, exit: (code: number) => void = (c) => process.exit(c)): void {
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', () => {
    if (claims > 0) return;
    if (stopping) return exit(130);
    stopping = true;
    say('\nStopping (Ctrl-C)…');
    const timer = setTimeout(() => exit(130), GRACE_MS);
    void Promise.allSettled([...cleanups].map((f) => Promise.resolve().then(f))).then(() => {
      clearTimeout(timer);
      exit(130);
    });
  });
}
