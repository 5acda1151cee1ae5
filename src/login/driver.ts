/**
 * How the doctor obtains authorization codes (the contract's `--login` modes). Every driver
 * takes an authorize URL the doctor built itself and returns the URL the server redirected to;
 * what the person gets from each mode is said at the top of its file (auto.ts, browser.ts with
 * chain.ts, manual.ts, command.ts), and index.ts picks the driver for a run.
 */
import type { HttpClient } from '../http/client.js';
import { CliError, EXIT } from '../errors.js';

export type LoginMode = 'browser' | 'manual' | 'auto' | 'command';

/**
 * The doctor could not obtain an authorization code. Usually that is on the tester's side (a
 * login page in `--login auto`, a sign-in that timed out, a failing `--login-command`, a paste
 * that is not a URL): the affected checks are then *incomplete*, not server faults. `serverSide`
 * marks the one exception: the authorization endpoint itself answered with an error page.
 */
export class LoginError extends CliError {
  constructor(message: string, hint?: string, readonly serverSide = false) {
    super(message, EXIT.incomplete, hint, 'login');
    this.name = 'LoginError';
  }
}

export interface LoginDriver {
  readonly mode: LoginMode;
  /** Whether several `obtain` calls may run at once (otherwise the suite queues them). */
  readonly concurrent?: boolean;
  readonly redirectUri: string;
  /**
   * Obtain the redirect (callback) URL for this authorize URL. `redirectUri` overrides the
   * driver's default (GPT Actions use two ChatGPT callback forms).
   */
  obtain(authorizeUrl: URL, expectedState: string, purpose: string, redirectUri?: string, how?: ObtainOptions): Promise<URL>;
  /** Ask the person a yes/no question where the mode has a person at the keyboard. */
  confirm?(question: string): Promise<boolean>;
  /**
   * Set (to the sign-in's purpose) when the server asked the person again — a sign-in or consent
   * page, seen from the callback's `Sec-Fetch-User: ?1` — on a sign-in that repeats one completed
   * in this run (the same client, scopes and resource): it asks on every sign-in.
   */
  readonly askedAgain?: string;
  close(): Promise<void>;
}

export interface ObtainOptions {
  /**
   * Not on ChatGPT's path (a security check's sign-in): the person may decline it when its turn
   * comes, and it then fails with SignInDeclined.
   */
  optional?: boolean;
}

/** A sign-in the person chose not to do (the check that needed it is skipped, not failed). */
export class SignInDeclined extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'SignInDeclined';
  }
}

export interface LoginOptions {
  mode: LoginMode;
  http: HttpClient;
  /** Progress lines for people (stderr). */
  say: (line: string) => void;
  redirectUri?: string;
  loginCommand?: string;
  loginTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  /** A person at an interactive terminal answers questions (`--login browser` may ask one). */
  ask?: boolean;
  /** Run a question or a paste with the terminal to itself (the progress spinner stopped). */
  aside?: <T>(work: () => Promise<T>) => Promise<T>;
  /** The run waits for the person (a label and when it gives up), or no longer (undefined). */
  onWait?: (label: string | undefined, until?: number) => void;
  /** What the driver learned about the server (a named behaviour, for the report's notes). */
  note?: (key: string, text: string) => void;
  /**
   * `--login command` with the loopback redirect (a client the doctor registers): run the
   * command once, for a chain of every sign-in in one browser. Without it (a predefined client,
   * whose redirect URI is not loopback) the command runs once per sign-in.
   */
  chain?: boolean;
}
