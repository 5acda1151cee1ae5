import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from './helpers/cli.js';

const TRACE = fileURLToPath(new URL('./helpers/trace-imports.mjs', import.meta.url));
const HEAVY = ['openid-client', 'oidc-provider', '@inquirer', 'ora', 'conf', '@napi-rs', 'yaml', 'jose', 'undici', '/dist/providers/', '/dist/sandbox/', '/dist/doctor/', '/dist/login/', '/dist/checks/', 'open/index.js'];

function importsOf(args: string[]): string[] {
  const log = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-imports-')), 'imports.txt');
  const r = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], { env: { ...process.env, IMPORT_LOG: log }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

describe('fast start', () => {
  for (const args of [['--help'], ['doctor', '--help'], ['sandbox', '--help'], ['callbacks', '--help'], ['init', '--help'], ['--version']]) {
    it(`\`gpt-oauth ${args.join(' ')}\` loads no OAuth, sandbox, prompt or provider code`, () => {
      const urls = importsOf(args);
      expect(urls.some((u) => u.includes('node:fs') || u.includes('commander'))).toBe(true); // the trace works
      expect(urls.filter((u) => HEAVY.some((h) => u.includes(h)))).toEqual([]);
      // --help prints the text rendered at build time: not even commander is loaded.
      if (args.includes('--help')) expect(urls.filter((u) => u.includes('commander') || u.includes('/dist/'))).toEqual([]);
    });
  }
});

describe('CLI basics', () => {
  it('--help lists the commands on stdout with an empty stderr', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/doctor \[options\] \[url\]/);
    expect(r.stdout).toMatch(/sandbox/);
    expect(r.stdout).toMatch(/--no-input/);
  });
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(r.stdout.trim()).toBe(pkg.version);
  });
  it('an unknown flag is a usage error (exit 2)', async () => {
    const r = await runCli(['doctor', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });
  it('global flags are accepted after the command', async () => {
    const r = await runCli(['doctor', '--json', '--no-color', '--no-input']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toMatch(/missing the MCP server URL/);
  });
});
