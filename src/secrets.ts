/**
 * Stored secrets: the OS keyring where one is available, otherwise a 0600 file in the user's
 * config directory (through conf). The user is told which. Never in the project file.
 * GPT_OAUTH_CONFIG_DIR moves the file (tests, sandboxes).
 */
import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { registerSecret } from './http/redact.js';

export type SecretBackend = 'keyring' | 'file';
const SERVICE = 'gpt-oauth';

async function keyring() {
  try {
    const { Entry } = await import('@napi-rs/keyring');
    return Entry;
  } catch {
    return undefined;
  }
}

async function fileStore(env: NodeJS.ProcessEnv) {
  const { default: Conf } = await import('conf');
  const store = new Conf<Record<string, string>>({
    projectName: 'gpt-oauth',
    configName: 'secrets',
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false, // account names contain URLs
    ...(env.GPT_OAUTH_CONFIG_DIR ? { cwd: env.GPT_OAUTH_CONFIG_DIR } : {}),
  });
  return store;
}

export async function storeSecret(account: string, value: string, env: NodeJS.ProcessEnv = process.env): Promise<{ backend: SecretBackend; where: string }> {
  registerSecret(value, account, true);
  if (env.GPT_OAUTH_SECRET_BACKEND !== 'file') {
    const Entry = await keyring();
    if (Entry) {
      try {
        new Entry(SERVICE, account).setPassword(value);
        return { backend: 'keyring', where: `the OS keyring (service "${SERVICE}", account "${account}")` };
      } catch { /* no usable keyring (headless Linux without a secret service): fall back */ }
    }
  }
  const store = await fileStore(env);
  // The directory is the user's alone (0700), whatever the umask; the file 0600.
  await configDir(env);
  store.set(account, value);
  await chmod(store.path, 0o600); // conf applies the mode on create; make sure for old files too
  return { backend: 'file', where: `${store.path} (mode 0600)` };
}

export async function readSecret(account: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.GPT_OAUTH_SECRET_BACKEND !== 'file') {
    const Entry = await keyring();
    if (Entry) {
      try {
        const v = new Entry(SERVICE, account).getPassword();
        if (v) { registerSecret(v, account, true); return v; }
      } catch { /* fall through to the file */ }
    }
  }
  const store = await fileStore(env);
  const v = store.get(account);
  if (v) registerSecret(v, account, true);
  return v || undefined;
}

export const secretAccount = (provider: string, clientId: string, kind = 'client_secret') => `${provider}:${clientId}:${kind}`;

/** The directory of gpt-oauth's own files (the secrets file, the provider write locks), 0700. */
export async function configDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const store = await fileStore(env);
  const dir = dirname(store.path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return dir;
}
