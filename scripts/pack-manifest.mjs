#!/usr/bin/env node
// `npm pack` / `npm publish`: the package ships its build and asks npm to run nothing when it
// is installed. `prepare` (which builds a clone on `npm install`) is taken out of package.json
// for the pack (prepack: `strip`) and put back after it (postpack: `restore`), as pinst does for
// postinstall. An interrupted pack leaves the copy behind: `strip` restores it first.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('../package.json', import.meta.url));
const kept = `${file}.prepack`;
const step = process.argv[2];

if (step === 'strip') {
  if (existsSync(kept)) renameSync(kept, file);
  const text = readFileSync(file, 'utf8');
  const pkg = JSON.parse(text);
  writeFileSync(kept, text);
  delete pkg.scripts.prepare;
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (step === 'restore') {
  if (existsSync(kept)) renameSync(kept, file);
} else {
  console.error('usage: pack-manifest.mjs strip|restore');
  process.exit(2);
}
