/**
 * The order test files start in. Vitest starts the files that took longest last time first, so
 * that a long one does not start near the end while the other worker idles; a fresh clone has no
 * such record and vitest falls back to file size, which starts the short files of long sweeps
 * (fuzz.test.ts, bench.test.ts) last. Without a record, these start first, longest first.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LONGEST = ['selection', 'browser-login', 'fuzz', 'bench', 'providers', 'init', 'isolation', 'doctor-sandbox', 'first-contact', 'broken-servers', 'verdicts'];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const recorded = files.some((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`));
    if (recorded) return sorted;
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((n) => f.moduleId.endsWith(`/test/${n}.test.ts`));
      return i < 0 ? LONGEST.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
