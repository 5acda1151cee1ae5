/**
 * No secret, token, code, verifier or state reaches stdout, stderr, the --debug trace or written
 * reports. The toy server records every such value it issued or received; we grep for them all.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { startToy, type Toy } from './helpers/toy-server.js';

const CLIENT_SECRET = 'cs_fake_0123456789abcdef_SECRET';

describe('secrets stay secret', () => {
  let toy: Toy;
  beforeAll(async () => { toy = await startToy({ client: { id: 'gpt-client', secret: CLIENT_SECRET } }); });
  afterAll(async () => { await toy.close(); });

  for (const mode of ['human', 'json'] as const) {
    it(`in ${mode} output, --debug trace and JUnit`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-'));
      const junit = join(dir, 'report.xml');
      const args = ['doctor', toy.mcpUrl, '--login', 'auto', '--client-id', 'gpt-client', '--debug', '--junit', junit];
      if (mode === 'json') args.push('--json');
      const r = await runCli(args, { env: { GPT_OAUTH_CLIENT_SECRET: CLIENT_SECRET } });
      expect(r.code, r.stdout + r.stderr.slice(-2000)).toBe(0);
      // The flow really ran: tokens, codes and verifiers were issued and received.
      const values = [...toy.secrets, CLIENT_SECRET];
      expect(values.filter((v) => v.startsWith('code_')).length, r.stdout).toBeGreaterThanOrEqual(5);
      expect(values.filter((v) => v.startsWith('eyJ')).length).toBeGreaterThanOrEqual(3);
      expect(r.stderr).toContain('> POST'); // the debug trace is there
      const outputs = { stdout: r.stdout, stderr: r.stderr, junit: readFileSync(junit, 'utf8') };
      for (const [name, text] of Object.entries(outputs)) {
        for (const v of values) {
          expect(text.includes(v), `${name} contains ${v.slice(0, 12)}…`).toBe(false);
          expect(text.includes(encodeURIComponent(v)), `${name} contains encoded ${v.slice(0, 12)}…`).toBe(false);
        }
      }
    });
  }
});
