/**
 * Credentials and API locations exactly as the contract's table, and the lazy loading of one
 * adapter per provider. Adding a provider: one file here plus its fake in test/helpers.
 */
import type { HttpClient } from '../http/client.js';
import { UsageError } from '../errors.js';
import type { ProviderAdapter, ProviderName } from './types.js';
import { PROVIDERS } from './types.js';


export async function loadProvider(name: string, env: NodeJS.ProcessEnv, http: HttpClient): Promise<ProviderAdapter> {
  if (!PROVIDERS.includes(name as ProviderName)) {
    throw new UsageError(`unknown provider "${name}"; choose one of ${PROVIDERS.join(', ')}`);
  }
  switch (name as ProviderName) {
    case 'clerk': return new (await import('./clerk.js')).ClerkAdapter(env, http);
    case 'auth0': return new (await import('./auth0.js')).Auth0Adapter(env, http);
    case 'stytch': return new (await import('./stytch.js')).StytchAdapter(env, http);
    case 'supabase': return new (await import('./supabase.js')).SupabaseAdapter(env, http);
  }
}
