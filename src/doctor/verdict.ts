/** What a report adds up to: the first thing to fix and the counts people read first. */
import type { CheckResult } from '../checks/types.js';
import type { Report } from './types.js';

const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 } as const;

/** The first thing to fix: the earliest failure in flow order, most severe first among equals. */
export function firstFix(checks: CheckResult[]): CheckResult | undefined {
  const failed = checks.filter((c) => c.status === 'fail');
  if (!failed.length) return undefined;
  return [...failed].sort((a, b) => checks.indexOf(a) - checks.indexOf(b) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity])[0];
}

/** `info` results (e.g. opaque tokens: nothing to verify locally) are not in the contract's summary. */
export const infoCount = (report: Report): number => report.checks.filter((c) => c.status === 'info').length;
