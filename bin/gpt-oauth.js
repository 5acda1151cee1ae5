#!/usr/bin/env node
// Thin launcher: no logic here. The CLI returns an exit code; only this file exits.
import module from 'node:module';
module.enableCompileCache?.();
const { main } = await import('../dist/cli.js');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exit(code);
