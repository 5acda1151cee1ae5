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

it('refuses an only or skip that names no check, before any request', async () => {
  // A typo in skip would otherwise skip nothing, and the run would look like a full pass.
  await expect(runDoctor({ url: sandbox.url, skip: ['prm.resourc'] })).rejects.toThrow(/^runDoctor: skip: no apps check matches "prm\.resourc" — did you mean prm\.resource\? Known prefixes: /);
  await expect(runDoctor({ url: sandbox.url, only: ['nope.'] })).rejects.toThrow(TypeError);
  await expect(runDoctor({ url: sandbox.url, only: ['prm.'], skip: ['prm.'] })).rejects.toThrow(/only and skip leave no check to run/);
});
