// Use it from your tests: the doctor against the sandbox, through the package's own entry point.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runDoctor, startSandbox } from 'gpt-oauth-cli';

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
beforeAll(async () => { sandbox = await startSandbox(); });
afterAll(async () => { await sandbox.close(); });

it('ChatGPT can connect, and the server is safe', async () => {
  const report = await runDoctor({ url: sandbox.url, login: 'auto' });
  expect(report.verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
  expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
}, 60_000);

it('runs a selection, and stops when asked', async () => {
  const only = await runDoctor({ url: sandbox.url, only: ['prm.'] });
  expect(only.checks.map((c) => c.id)).toEqual(['prm.document', 'prm.resource']);
  const controller = new AbortController();
  const run = runDoctor({ url: sandbox.url, signal: controller.signal });
  setTimeout(() => controller.abort(), 100); // mid-run
  await expect(run).rejects.toThrow(/abort/i);
}, 60_000);
