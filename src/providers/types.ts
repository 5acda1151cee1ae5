/**
 * One interface for every provider. Adapters never print; they return data or throw
 * ProviderError. Everything `init` and `callbacks` do on a provider goes through this.
 */
import { CliError, EXIT } from '../errors.js';

export type ProviderName = 'clerk' | 'auth0' | 'stytch' | 'supabase';
export const PROVIDERS: ProviderName[] = ['clerk', 'auth0', 'stytch', 'supabase'];

export interface OAuthApp {
  /** The provider's own id of the app (Clerk `oa_…`, Auth0/Stytch/Supabase: the client id). */
  id: string;
  clientId: string;
  name: string;
  redirectUris: string[];
  public: boolean;
  /**
   * The token endpoint authentication method stored for the app, where the provider keeps one per
   * app (Auth0's and Supabase's `token_endpoint_auth_method`); absent where it has none (Clerk
   * treats client_secret_basic and client_secret_post alike; Stytch's connected apps have no such field).
   */
  tokenAuthMethod?: string | null;
}

/** The two methods the GPT editor's Token Exchange Method offers, as providers name them. */
export type SecretAuthMethod = 'client_secret_post' | 'client_secret_basic';

/** What ChatGPT needs from an app. */
export interface AppSpec {
  name: string;
  target: 'actions' | 'apps';
  redirectUris: string[];
  scopes?: string[];
  /** The MCP URL (apps) or API URL (actions), used as audience where the provider supports it. */
  resource?: string;
  /** Auth0: the login connection to promote to domain level so DCR clients can use it. */
  connection?: string;
  /** Stytch: the URL of the authorization (consent) page your app hosts. */
  authorizationUrl?: string;
}

/** A provider setting the adapter changed, found already right, or can only report. */
export interface SettingChange {
  setting: string;
  to: unknown;
  from?: unknown;
  status: 'changed' | 'already' | 'manual';
  /** For `manual`: where in the dashboard to change it. */
  dashboardUrl?: string;
  note?: string;
  /** The doctor's check ids this setting makes pass (`doctor --fix` plans by them). */
  fixes?: string[];
}

export interface ProviderAdapter {
  readonly name: ProviderName;
  /** Check the credentials; say what they allow. */
  checkCredentials(): Promise<{ account: string; allows: string[] }>;
  /** Find an app by its id, its client id or its exact name. */
  findApp(ref: string): Promise<OAuthApp | undefined>;
  createApp(spec: AppSpec): Promise<{ app: OAuthApp; clientSecret?: string }>;
  /** Replace the redirect URIs with exactly `uris` (callers merge first). */
  setRedirectUris(app: OAuthApp, uris: string[]): Promise<OAuthApp>;
  rotateSecret(app: OAuthApp): Promise<string>;
  /** Set the app's token endpoint authentication method (only where `tokenAuthMethod` is stored). */
  setTokenAuthMethod?(app: OAuthApp, method: SecretAuthMethod): Promise<OAuthApp>;
  /** Issuer, discovery document and the endpoints the GPT editor asks for (no network needed). */
  /** `authorizationUrl` is undefined when users go to a page the user's app hosts and its URL is not known (Stytch). */
  issuer(): Promise<{ issuer: string; authorizationUrl?: string; tokenUrl: string }>;
  /**
   * Switch on what ChatGPT needs (DCR, audience, JWT tokens…), idempotently. With `dryRun`
   * (adapters that list `canPlan`), only read: the result says what would change.
   */
  enableChatGpt(spec: AppSpec, app?: OAuthApp, o?: { dryRun?: boolean }): Promise<SettingChange[]>;
  /** enableChatGpt honours `dryRun` (doctor --fix can show a plan before it writes). */
  readonly canPlan?: boolean;
}

/** A failed provider call, with the provider's own error code and what to do about it. */
/** A provider API call failed: exit 1, the provider's own error code when it sent one. */
export class ProviderError extends CliError {
  constructor(
    readonly provider: ProviderName,
    message: string,
    readonly status?: number,
    code?: string,
    hint?: string,
  ) {
    super(message, EXIT.failed, hint, code ?? 'provider_error', { provider, ...(status ? { status } : {}) });
    this.name = 'ProviderError';
  }

  override get display(): string {
    return `${this.provider}: ${this.message}`;
  }
}
