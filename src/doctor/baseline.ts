/**
 * A baseline lists accepted failures and warnings (id + reason). With one, a run fails only on
 * regressions, and entries whose check now passes are reported so they can be removed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { fsReason } from '../output-file.js';
import { safeText } from '../text.js';
import type { Report } from './types.js';

export interface Baseline { accepted: { id: string; reason: string }[] }

export async function readBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--baseline ${safeText(file, 300)}: cannot read it (${fsReason(err)})`, 'Create one with `gpt-oauth doctor --write-baseline FILE`.');
  }
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new UsageError(`--baseline ${file}: not valid YAML or JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const accepted = (doc as { accepted?: unknown })?.accepted;
  if (!Array.isArray(accepted) || accepted.some((a) => !a || typeof a.id !== 'string')) {
    throw new UsageError(`--baseline ${file}: expected "accepted:" with a list of { id, reason }`);
  }
  return { accepted: accepted.map((a) => ({ id: String(a.id), reason: String(a.reason ?? '') })) };
}

/** Mark accepted checks; returns whether the run has a regression (a failure not in the baseline). */
export function applyBaseline(report: Report, b: Baseline, file: string): boolean {
  const ids = new Set(b.accepted.map((a) => a.id));
  const accepted = report.checks.filter((c) => ids.has(c.id) && (c.status === 'fail' || c.status === 'warn')).map((c) => c.id);
  const fixed = b.accepted.filter((a) => report.checks.find((c) => c.id === a.id)?.status === 'pass').map((a) => a.id);
  report.baseline = { file, accepted, fixed };
  return report.checks.some((c) => c.status === 'fail' && !ids.has(c.id));
}

export async function writeBaseline(file: string, report: Report): Promise<number> {
  const { stringify } = await import('yaml');
  const date = new Date().toISOString().slice(0, 10);
  const accepted = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => ({ id: c.id, reason: `accepted on ${date} (${c.status})` }));
  await writeFile(file, `# gpt-oauth baseline: accepted failures and warnings for ${report.target} ${report.subject}.\n# Give each a real reason; remove entries the doctor reports as passing again.\n${stringify({ accepted })}`);
  return accepted.length;
}
