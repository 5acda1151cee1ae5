/** The README is the manual: every flag the CLI accepts and every variable it reads is in it. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mjs|js)$/.test(f) ? [p] : [];
  });
}

describe('README', () => {
  it('shows the library example exactly as the test that runs it', () => {
    const example = readFileSync(join(root, 'test/library-api.test.ts'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('documents every flag of every command', async () => {
    const missing: string[] = [];
    for (const command of [[], ['doctor'], ['init'], ['callbacks'], ['sandbox']]) {
      const r = await runCli([...command, '--help']);
      expect(r.code).toBe(0);
      for (const flag of new Set(r.stdout.match(/--[a-z][a-z0-9-]+/g) ?? [])) {
        if (['--help', '--version'].includes(flag)) continue;
        if (!readme.includes(`\`${flag}`) && !readme.includes(`, ${flag}\``)) missing.push(`${command.join(' ') || 'gpt-oauth'} ${flag}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents every environment variable the code reads', () => {
    const names = new Set<string>();
    for (const file of [...sources(join(root, 'src')), ...sources(join(root, 'examples'))]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/env\.([A-Z][A-Z0-9_]+)|env\[['"]([A-Z][A-Z0-9_]+)['"]\]|['"]((?:GPT_OAUTH|CLERK|AUTH0|STYTCH|SUPABASE)_[A-Z0-9_]+)['"]/g)) {
        names.add(m[1] ?? m[2] ?? m[3]!);
      }
    }
    expect(names.size).toBeGreaterThan(20);
    expect([...names].filter((n) => !readme.includes(n))).toEqual([]);
  });
});
