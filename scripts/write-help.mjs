#!/usr/bin/env node
/**
 * Build step: the help texts, rendered once by commander from the real command tree (examples
 * and global options included), so that `gpt-oauth --help` and `gpt-oauth <command> --help`
 * print them without loading commander (start-up near a bare `node -e 0`, measured by
 * `npm run bench`). Run after tsc; bin/gpt-oauth.js falls back to commander when a file is missing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { buildProgram } = await import(`${root}dist/cli.js`);
const program = buildProgram(() => undefined);
const out = `${root}dist/help`;
mkdirSync(out, { recursive: true });
const render = (cmd) => {
  let text = '';
  // 80 columns, as commander uses for output that is not a terminal.
  cmd.configureOutput({ writeOut: (s) => { text += s; }, getOutHelpWidth: () => 80 });
  cmd.outputHelp();
  return text;
};
writeFileSync(`${out}/gpt-oauth.txt`, render(program));
for (const cmd of program.commands) writeFileSync(`${out}/${cmd.name()}.txt`, render(cmd));
