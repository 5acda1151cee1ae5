/**
 * What a person sees while the suite runs: the progress display (a spinner, lines, or nothing),
 * the waits for a sign-in with their time left, and on Ctrl-C one line with what ran so far.
 */
import type { IO } from '../../ui/io.js';
import { canAnimate } from '../../ui/spinner.js';
import type { DoctorOptions } from './options.js';

/**
 * Ctrl-C during a run: one line with what ran so far (how many checks finished, how they came
 * out, the failures by id), so the time spent is not lost. The run's results are collected as
 * they come (`add`); `off` when the run ends.
 */
export async function reportOnInterrupt(io: IO): Promise<{ add: (r: { id: string; status: string }) => void; off: () => void }> {
  const { onInterrupt } = await import('../../ui/interrupt.js');
  const done: { id: string; status: string }[] = [];
  const off = onInterrupt(() => {
    if (!done.length) return void io.stderr.write('Stopped before any check finished.\n');
    const n = (st: string) => done.filter((r) => r.status === st).length;
    const failed = done.filter((r) => r.status === 'fail').map((r) => r.id);
    const parts = [`${n('pass')} passed`, `${n('fail')} failed`, ...(n('warn') ? [`${n('warn')} warnings`] : []), ...(n('skip') ? [`${n('skip')} skipped`] : [])];
    io.stderr.write(`Stopped after ${done.length} check${done.length === 1 ? '' : 's'} finished: ${parts.join(', ')}${failed.length ? ` — failed: ${failed.slice(0, 8).join(', ')}${failed.length > 8 ? ', …' : ''}` : ''}.\n`);
  });
  return { add: (r) => { done.push(r); }, off };
}

/**
 * Progress while the suite runs. At an interactive terminal of a usable width: a spinner on stderr
 * with the current step and check ("Ctrl-C to stop"); prompts and sign-in lines print above it. At
 * a terminal without one (CI, --no-input, a width of 0): each step once, as a line, and each wait
 * for a sign-in once, with its deadline. Without a terminal: nothing, or one line per step with
 * --verbose. Never on stdout, never with --json on a non-terminal.
 */
export async function startProgress(io: IO, o: DoctorOptions, catalog: { id: string; step: string }[]): Promise<{ start: (id: string) => void; stop: () => void; aside: <T>(work: () => Promise<T>) => Promise<T>; wait: (label: string | undefined, until?: number) => void }> {
  const stepOf = new Map(catalog.map((c) => [c.id, c.step]));
  const tty = !!(io.stderr as NodeJS.WriteStream).isTTY;
  if (!canAnimate(io)) {
    // Checks of several steps run at once: each step is named once, when its first check starts.
    const named = new Set<string>();
    const lines = tty || o.verbose;
    return {
      start: (id) => { const step = stepOf.get(id) ?? ''; if (lines && !named.has(step)) { named.add(step); io.stderr.write(`${step}…\n`); } },
      stop: () => undefined,
      aside: (work) => work(),
      wait: (label, until) => {
        if (!tty || !label || !until) return;
        const left = Math.max(0, Math.round((until - Date.now()) / 1000));
        io.stderr.write(`${label} — ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left\n`);
      },
    };
  }
  const { default: ora } = await import('ora');
  const { onInterrupt } = await import('../../ui/interrupt.js');
  const spinner = ora({ stream: io.stderr as NodeJS.WritableStream, color: 'cyan', isEnabled: true, discardStdin: false }).start('Starting… (Ctrl-C to stop)');
  const offInterrupt = onInterrupt(() => spinner.stop());
  let current = 'Starting…';
  let waiting: NodeJS.Timeout | undefined;
  const show = () => { spinner.text = `${current}  (Ctrl-C to stop)`; };
  return {
    start: (id) => { current = `${stepOf.get(id) ?? ''}: ${id}`; if (!waiting) show(); },
    stop: () => { offInterrupt(); clearInterval(waiting); spinner.stop(); },
    // A sign-in the person has to do: say so, with the time left, instead of a check's name.
    wait(label, until) {
      clearInterval(waiting);
      waiting = undefined;
      if (!label || !until) return show();
      const tick = () => {
        const left = Math.max(0, Math.round((until - Date.now()) / 1000));
        spinner.text = `${label} — ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left  (Ctrl-C to stop)`;
      };
      tick();
      waiting = setInterval(tick, 1000);
      waiting.unref();
    },
    // A question or a paste: the spinner would draw over it.
    async aside(work) {
      spinner.stop();
      try {
        return await work();
      } finally {
        spinner.start();
      }
    },
  };
}
