/**
 * `--login MODE`: the driver of the mode a run asked for. Its own file because every mode
 * implements driver.ts and this one needs every mode.
 */
import { UsageError } from '../errors.js';
import { CONNECTOR_REDIRECT } from '../chatgpt/redirects.js';
import type { LoginDriver, LoginOptions } from './driver.js';
import { AutoLogin } from './auto.js';
import { BrowserLogin } from './browser.js';
import { ManualLogin } from './manual.js';
import { CommandChainLogin, CommandLogin } from './command.js';

export async function createLoginDriver(o: LoginOptions): Promise<LoginDriver> {
  switch (o.mode) {
    case 'auto':
      return new AutoLogin(o.http, o.redirectUri ?? CONNECTOR_REDIRECT, o.note);
    case 'browser':
      return BrowserLogin.start(o);
    case 'manual':
      return new ManualLogin(o);
    case 'command':
      if (!o.loginCommand) throw new UsageError('--login command needs --login-command "CMD"');
      return o.chain ? CommandChainLogin.start(o) : new CommandLogin(o);
  }
}
