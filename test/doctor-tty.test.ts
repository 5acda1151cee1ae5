/**
 * `npx gpt-oauth doctor --sandbox` typed by a person in a real terminal (tmux): the whole suite
 * runs offline with the sandbox's test user, and no browser is opened unless asked for.
 */
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { exitCodeFrom, hasTmux, Terminal } from './helpers/tmux.js';
import { SANDBOX_PASSED } from './helpers/report-schema.js';

let term: Terminal | undefined;
afterEach(() => { term?.kill(); term = undefined; });


describe.skipIf(!hasTmux)('doctor --sandbox in a terminal', () => {
  for (const [target, passed] of [['apps', SANDBOX_PASSED], ['actions', 10]] as const) {
    it(`--target ${target}: every check passes and no browser is opened`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-doctor-'));
      const opened = join(dir, 'browser-was-opened');
      const browser = join(dir, 'browser.sh');
      writeFileSync(browser, `#!/bin/sh\necho "$1" > '${opened}'\n`);
      chmodSync(browser, 0o755);
      const exitFile = join(dir, 'exit-code');
      const cmd = `env -u CI -u GPT_OAUTH_NO_INPUT TERM=xterm-256color GPT_OAUTH_BROWSER='${browser}' '${process.execPath}' '${BIN}' doctor --sandbox --target ${target}; echo $? > '${exitFile}'; sleep 30`;
      term = new Terminal(cmd, dir);
      expect(await exitCodeFrom(exitFile, 30_000)).toBe(0);
      const screen = term.screen();
      expect(screen).toMatch(/\(login: auto\)/);
      expect(screen).toMatch(new RegExp(`ChatGPT can connect\\s+${passed} passed, 0 failed`));
      expect(existsSync(opened)).toBe(false);
    });
  }
});
