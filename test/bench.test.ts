/**
 * `npm run bench` keeps working as the suite grows (it broke once when the apps suite passed 400
 * requests over ten runs). Figures are not asserted here: targets live in the bench's own output.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('npm run bench runs to the end and prints every figure with its baseline', async () => {
  const script = fileURLToPath(new URL('../scripts/bench.mjs', import.meta.url));
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [script], { env: { ...process.env, BENCH_RUNS: '2', BENCH_SUITE_RUNS: '10', BENCH_BROWSER_RUNS: '1', BENCH_LATENCY_MS: '10' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (c) => resolve({ code: c, out }));
  });
  expect(code, out).toBe(0);
  expect(out).toMatch(/startup\s+node -e 0 \(baseline\): [\d.]+ ms\s+gpt-oauth --help: [\d.]+ ms\s+ratio [\d.]+×/);
  expect(out).toMatch(/first byte gpt-oauth doctor --sandbox: [\d.]+ ms\s+vs --help to the end: [\d.]+ ms\s+ratio [\d.]+×/);
  expect(out).toMatch(/first byte gpt-oauth sandbox: [\d.]+ ms/);
  expect(out).toMatch(/apps suite vs running sandbox: [\d.]+ ms median of 10, \d+ HTTP requests/);
  expect(out).toMatch(/baseline: \d+ plain GETs/);
  // The latency run next to its own round-trip floor (no limit in flight) and ChatGPT's 10.
  expect(out).toMatch(/latency\s+apps suite at RTT \d+ ms: [\d.]+ ms, \d+ requests/);
  expect(out).toMatch(/baseline: the round-trip floor, .*: [\d.]+ ms, [\d.]+ round trips of [\d.]+ ms; ratio [\d.]+× the floor/);
  expect(out).toMatch(/ChatGPT's own first connection: 10 dependent round trips, [\d.]+ ms measured/);
  expect(out).toMatch(/footprint installed dependencies: \d+ packages, [\d.]+ MB/);
}, 240_000);
