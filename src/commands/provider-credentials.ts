/**
 * The provider credentials `init` and `doctor --fix` use: from the environment, or asked for at
 * a terminal (secrets hidden and registered for redaction); never a flag value.
 */
import type { ProviderName } from '../providers/types.js';
import type { Prompter } from '../ui/prompt.js';
import type { IO } from '../ui/io.js';
import { UsageError } from '../errors.js';
import { registerSecret } from '../http/redact.js';

const PROVIDER_LABEL: Record<ProviderName, string> = { clerk: 'Clerk', auth0: 'Auth0', stytch: 'Stytch', supabase: 'Supabase' };

/** Where each provider shows its credentials, and how to ask for them. */
export const CREDENTIALS: Record<ProviderName, { vars: { name: string; secret: boolean; label: string }[]; where: string; dashboard: string }> = {
  clerk: { vars: [{ name: 'CLERK_SECRET_KEY', secret: true, label: 'Clerk secret key (sk_…)' }], where: 'https://dashboard.clerk.com → Configure → API Keys', dashboard: 'https://dashboard.clerk.com' },
  auth0: {
    vars: [
      { name: 'AUTH0_DOMAIN', secret: false, label: 'Auth0 tenant domain (acme.us.auth0.com)' },
      { name: 'AUTH0_CLIENT_ID', secret: false, label: 'Client ID of a machine-to-machine app authorised for the Management API' },
      { name: 'AUTH0_CLIENT_SECRET', secret: true, label: 'Its client secret' },
    ],
    where: 'https://manage.auth0.com → Applications → (your M2M app) → Settings',
    dashboard: 'https://manage.auth0.com',
  },
  stytch: {
    vars: [
      { name: 'STYTCH_PROJECT_ID', secret: false, label: 'Stytch project id (project-test-…)' },
      { name: 'STYTCH_SECRET', secret: true, label: 'Stytch project secret' },
    ],
    where: 'https://stytch.com/dashboard/api-keys',
    dashboard: 'https://stytch.com/dashboard/connected-apps',
  },
  supabase: {
    vars: [
      { name: 'SUPABASE_PROJECT_REF', secret: false, label: 'Supabase project ref (the subdomain of <ref>.supabase.co)' },
      { name: 'SUPABASE_ACCESS_TOKEN', secret: true, label: 'Supabase personal access token (sbp_…)' },
    ],
    where: 'https://supabase.com/dashboard/account/tokens',
    dashboard: 'https://supabase.com/dashboard',
  },
};


/** The provider's credentials from the environment, or asked for at a terminal (also doctor --fix). */
export async function askCredentials(provider: ProviderName, env: NodeJS.ProcessEnv, prompt: Prompter, io: IO, say: (l?: string) => void): Promise<void> {
  const c = CREDENTIALS[provider];
  const vars = provider === 'auth0' && env.AUTH0_MANAGEMENT_TOKEN ? c.vars.filter((v) => v.name === 'AUTH0_DOMAIN') : c.vars;
  const missing = vars.filter((v) => !env[v.name]);
  if (!missing.length) {
    say(`Using ${vars.map((v) => v.name).join(', ')} from the environment.`);
    return;
  }
  if (!io.interactive) {
    throw new UsageError(`missing ${missing.map((v) => v.name).join(', ')} (the ${PROVIDER_LABEL[provider]} credentials; find them at ${c.where})`, 'Set them in the environment; secrets are never accepted as flag values.');
  }
  say(`The ${PROVIDER_LABEL[provider]} credentials are at ${c.where}. Set ${missing.map((v) => v.name).join(', ')} in the environment to skip these questions next time.`);
  for (const v of missing) {
    const value = v.secret ? await prompt.secret(v.label, v.name) : await prompt.input(v.label, v.name);
    if (v.secret) registerSecret(value, v.name, true);
    env[v.name] = value.trim();
  }
}

