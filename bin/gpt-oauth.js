#!/usr/bin/env node
// Thin launcher: no logic here. The CLI returns an exit code; only this file exits.
import module from 'node:module';
module.enableCompileCache?.();
// Ctrl-C exits 130 until the CLI is loaded; then src/ui/interrupt.ts takes over (cleanups, then 130).
process.on('SIGINT', () => process.exit(130));
// `--help` (alone, or after a command) prints the text rendered at build time, without loading
// commander or anything else (scripts/write-help.mjs).
const args = process.argv.slice(2);
const help = (args.length <= 2 && ['--help', '-h'].includes(args.at(-1)) && (args.length === 1 || !args[0].startsWith('-')));
if (help) {
  const { readFileSync } = await import('node:fs');
  try {
    process.stdout.write(readFileSync(new URL(`../dist/help/${args.length === 2 ? args[0] : 'gpt-oauth'}.txt`, import.meta.url), 'utf8'));
    process.exit(0);
  } catch { /* no such command or not built: commander says so */ }
}
const { main } = await import('../dist/cli.js');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exit(code);
