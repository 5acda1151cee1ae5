/**
 * Our own npm name: `gpt-oauth` belongs to an unrelated package, so every `npx` a user copies
 * must name `gpt-oauth-cli` (a workflow would otherwise run someone else's code with its
 * secrets), and the published tarball holds what a user needs and nothing else.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

describe('the npm name', () => {
  it('is gpt-oauth-cli, and the command stays gpt-oauth', () => {
    expect(pkg.name).toBe('gpt-oauth-cli');
    expect(Object.keys(pkg.bin)).toContain('gpt-oauth');
    // npx gpt-oauth-cli runs the bin named like the package.
    expect(pkg.bin['gpt-oauth-cli']).toBe(pkg.bin['gpt-oauth']);
  });

  it('every npx in the README (outside the from-a-clone block), src/, templates/ and examples/ names it, pinned where versioned', () => {
    const texts: [string, string][] = [
      ['README.md', readFileSync(join(root, 'README.md'), 'utf8').replace(/<!-- clone -->[\s\S]*?<!-- \/clone -->/g, '')],
      ...[...files(join(root, 'src')), ...files(join(root, 'templates')), ...files(join(root, 'examples'))].map((f) => [f.slice(root.length), readFileSync(f, 'utf8')] as [string, string]),
    ];
    const wrong: string[] = [];
    let seen = 0;
    for (const [file, text] of texts) {
      for (const m of text.matchAll(/npx(?:\s+--yes)?\s+(gpt-oauth[\w@.{}-]*)/g)) {
        seen++;
        const spec = m[1]!;
        const [name, version] = spec.split(/@(?=[\d{])/);
        if (name !== pkg.name) wrong.push(`${file}: npx ${spec}`);
        if (version && version !== pkg.version && version !== '{{version}}') wrong.push(`${file}: npx ${spec} (pinned to another version)`);
      }
    }
    expect(seen).toBeGreaterThan(10);
    expect(wrong).toEqual([]);
  });

  it('npm pack holds the launcher, the build, templates and docs, and no tests or fixtures', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    const listed = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const need of ['bin/gpt-oauth.js', 'dist/cli.js', 'dist/commands/doctor/index.js', 'dist/sandbox/server.js', 'templates/github-actions.yml', 'README.md', 'LICENSE', 'package.json']) {
      expect(listed, need).toContain(need);
    }
    expect(listed.filter((p) => /^(test|src|scripts|\.ci)\/|fixtures|\.test\.|\.tgz$/.test(p))).toEqual([]);
    // The library API's entry and its types (package.json exports), and nothing outside the
    // package's folders: action.yml and the docs folder are for the repository, not npm.
    for (const need of ['dist/index.js', 'dist/index.d.ts', 'dist/doctor/report-schema.d.ts']) expect(listed, need).toContain(need);
    expect(listed.filter((p) => !/^(bin|dist|templates|examples)\//.test(p) && !['README.md', 'CHANGELOG.md', 'LICENSE', 'package.json'].includes(p))).toEqual([]);
    expect(listed.filter((p) => p.startsWith('dist/') && !/\.(js|d\.ts|txt)$/.test(p))).toEqual([]);
  }, 60_000);
});

describe('11. the package as people install it', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; repository: { url: string }; homepage: string; bugs: { url: string } };

  it('the packed manifest asks npm to run nothing at install; a clone still builds on npm install', () => {
    // A clone: `npm install` runs prepare, which builds.
    expect(manifest.scripts.prepare).toBe('npm run build');
    // The pack: built first, prepare taken out for the tarball and put back after.
    expect(manifest.scripts.prepack).toBe('npm run build && node scripts/pack-manifest.mjs strip');
    expect(manifest.scripts.postpack).toBe('node scripts/pack-manifest.mjs restore');
    for (const s of ['preinstall', 'install', 'postinstall']) expect(manifest.scripts[s], s).toBeUndefined();
    // The strip and the restore, on a copy.
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-pack-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(root, 'scripts/pack-manifest.mjs'), join(dir, 'scripts/pack-manifest.mjs'));
    const original = readFileSync(join(root, 'package.json'), 'utf8');
    writeFileSync(join(dir, 'package.json'), original);
    execFileSync(process.execPath, [join(dir, 'scripts/pack-manifest.mjs'), 'strip']);
    const packed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(packed.scripts.prepare).toBeUndefined();
    expect({ ...packed, scripts: undefined }).toEqual({ ...JSON.parse(original), scripts: undefined });
    // An interrupted pack (strip twice) still restores the original, byte for byte.
    execFileSync(process.execPath, [join(dir, 'scripts/pack-manifest.mjs'), 'strip']);
    execFileSync(process.execPath, [join(dir, 'scripts/pack-manifest.mjs'), 'restore']);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(original);
  });

  it('repository, homepage, bugs, action.yml\'s header, the README and the contract name the action of GITHUB_ACTION', async () => {
    const { GITHUB_ACTION } = await import('../src/version.js');
    const repo = GITHUB_ACTION.split('@')[0]!;
    expect(manifest.repository.url).toBe(`git+https://github.com/${repo}.git`);
    expect(manifest.homepage).toBe(`https://github.com/${repo}#readme`);
    expect(manifest.bugs.url).toBe(`https://github.com/${repo}/issues`);
    expect(readFileSync(join(root, 'action.yml'), 'utf8').split('\n')[0]).toContain(`\`uses: ${GITHUB_ACTION}\``);
    const uses = (text: string) => [...text.matchAll(/uses: ([\w.-]+\/gpt-oauth[^\s`]*)/g)].map((m) => m[1]);
    for (const f of ['README.md', 'docs/contract.md', 'action.yml']) {
      const found = uses(readFileSync(join(root, f), 'utf8'));
      expect(found.length, f).toBeGreaterThan(0);
      expect(new Set(found), f).toEqual(new Set([GITHUB_ACTION]));
    }
  });
});
