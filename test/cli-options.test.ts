/** Small things a person trips on in the options and hints (#30 items 7, 8, 10). */
import { describe, expect, it } from 'vitest';
import { parseSeconds } from '../src/commands/doctor.js';
import { runCli } from './helpers/cli.js';

describe('7. --deadline and --login-timeout take units', () => {
  it('seconds, minutes or both; a bare number is seconds', () => {
    expect(parseSeconds('300', '--deadline', 1)).toBe(300);
    expect(parseSeconds('90s', '--deadline', 1)).toBe(90);
    expect(parseSeconds('5m', '--login-timeout', 1)).toBe(300);
    expect(parseSeconds('1m30s', '--login-timeout', 1)).toBe(90);
    expect(parseSeconds(undefined, '--deadline', 600)).toBe(600);
  });
  it('anything else is a usage error that names the units', () => {
    for (const v of ['0', '10x', '5ms', '-5', 'm', '']) {
      expect(() => parseSeconds(v, '--deadline', 1), v).toThrow(/--deadline must be a duration in seconds \(300, 90s\) or minutes \(5m, 1m30s\)/);
    }
  });
  it('the CLI accepts 90s and 5m, and refuses 10x with exit 2 before any request', async () => {
    const bad = await runCli(['doctor', 'http://127.0.0.1:9/mcp', '--deadline', '10x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--deadline must be a duration in seconds \(300, 90s\) or minutes/);
    const ok = await runCli(['doctor', '--sandbox', '--deadline', '2m', '--login-timeout', '90s', '--only', 'prm.']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
