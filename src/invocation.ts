/**
 * The command line that runs this gpt-oauth again, for the commands it prints (the sandbox
 * banner, `init`'s next steps, `--save-refresh-token`, fixes). `npx gpt-oauth-cli` fetches from
 * the registry — another version, or a 404 before publishing — so it is printed only for a run
 * that npx itself fetched, pinned to this version.
 */
import { shellQuote } from './text.js';
import { VERSION } from './version.js';

export function invocation(argv1: string = process.argv[1] ?? ''): string {
  const p = argv1.replace(/\\/g, '/');
  // npx's cache: run it the same way, at this version.
  if (p.includes('/_npx/')) return ['npx', `gpt-oauth-cli@${VERSION}`].join(' ');
  // A project's dependency (node_modules/.bin/…): npx finds the installed package by its name
  // (never by the bin's own name: outside the project npx would fetch an unrelated package).
  if (p.includes('/node_modules/')) return 'npx gpt-oauth-cli';
  // A global install's link on PATH.
  if (/\/gpt-oauth(-cli)?$/.test(p)) return 'gpt-oauth';
  // A clone (or any other copy): node and the path.
  return `node ${shellQuote(argv1)}`;
}
