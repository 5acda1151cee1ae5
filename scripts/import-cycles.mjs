#!/usr/bin/env node
/**
 * Fails when files under src/ import each other in a cycle. Every kind of import counts: static,
 * type-only, `import('…')` types and dynamic imports. Usage: node scripts/import-cycles.mjs
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');
const files = [];
(function walk(d) {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
  }
})(src);

const RE = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
const graph = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(RE)) deps.add(resolve(dirname(f), m[1].replace(/\.js$/, '.ts')));
  graph.set(f, [...deps].filter((d) => graph.has(d) || files.includes(d)));
}

export function findCycles(g) {
  const cycles = [];
  const state = new Map(); // 1 visiting, 2 done
  const stack = [];
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const d of g.get(n) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return cycles;
}

const cycles = findCycles(graph);
if (cycles.length) {
  for (const c of cycles) console.error(`import cycle: ${c.map((f) => relative(root, f)).join(' → ')}`);
  process.exit(1);
}
console.log(`no import cycles among ${files.length} files under src/`);

// Folders (src/<folder>/…) form layers too, and each file at the top of src/ is its own node:
// a cycle between two of them means the layering leaks.
const folderOf = (f) => { const parts = relative(src, f).split('/'); return parts.length > 1 ? `${parts[0]}/` : parts[0]; };
const folders = new Map();
for (const [f, deps] of graph) {
  const a = folderOf(f);
  if (!folders.has(a)) folders.set(a, new Set());
  for (const d of deps) if (folderOf(d) !== a) folders.get(a).add(folderOf(d));
}
const folderCycles = findCycles(new Map([...folders].map(([k, v]) => [k, [...v]])));
if (folderCycles.length) {
  for (const c of folderCycles) console.error(`folder cycle: ${c.join(' → ')}`);
  process.exit(1);
}
console.log(`no cycles among the ${folders.size} folders of src/`);
