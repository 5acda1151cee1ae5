#!/usr/bin/env node
// Thin launcher: no logic here. The CLI returns an exit code; only this file exits.
import module from 'node:module';
module.enableCompileCache?.();
// Ctrl-C outside a prompt exits 130 (commands that handle SIGINT themselves, like `sandbox`, add a listener).
process.on('SIGINT', () => {
  if (process.listenerCount('SIGINT') === 1) process.exit(130);
});
const { main } = await import('../dist/cli.js');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exit(code);
