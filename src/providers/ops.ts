/**
 * Provider operations built on the adapter interface. Every write is read-merge-write, and
 * creation looks for an existing app of the same name first, so a run interrupted half-way and
 * run again converges to one app with the right redirect URIs.
 */
import type { AppSpec, OAuthApp, ProviderAdapter, SecretAuthMethod } from './types.js';
import { isHttpsOrLoopback } from '../url.js';

export interface EnsureResult {
  app: OAuthApp;
  created: boolean;
  /** Only when the app was created now (providers show secrets once). */
  clientSecret?: string;
  addedRedirectUris: string[];
}

export async function ensureApp(adapter: ProviderAdapter, spec: AppSpec, ref?: string, lockDir?: string): Promise<EnsureResult> {
  const existing = await adapter.findApp(ref ?? spec.name);
  if (!existing) {
    const { app, clientSecret } = await adapter.createApp(spec);
    return { app, created: true, clientSecret, addedRedirectUris: spec.redirectUris };
  }
  const plan = await updateRedirects(adapter, existing.id, spec.redirectUris, [], false, lockDir);
  return { app: plan.app, created: false, addedRedirectUris: plan.added };
}

export interface RedirectPlan {
  before: string[];
  after: string[];
  added: string[];
  removed: string[];
  changed: boolean;
}

/** Keep every existing URI (in order), append the new ones, drop the removed ones. */
function planRedirects(current: string[], add: string[], remove: string[]): RedirectPlan {
  const after = current.filter((u) => !remove.includes(u));
  const added: string[] = [];
  for (const u of add) if (!after.includes(u)) { after.push(u); added.push(u); }
  const removed = current.filter((u) => remove.includes(u));
  return { before: current, after, added, removed, changed: added.length > 0 || removed.length > 0 };
}

/** How often a write whose read-back lacks our change (another writer in between) is merged again. */
const WRITE_ATTEMPTS = 3;

/**
 * Read-merge-write, then read back and verify: if another writer replaced the list in between,
 * merge our change into what is there now and write again (a bounded number of times), so a
 * concurrent `callbacks add` elsewhere never loses a URL silently. `lockDir` serialises
 * gpt-oauth's own writes to this app on this machine.
 */
export async function updateRedirects(adapter: ProviderAdapter, ref: string, add: string[], remove: string[], dryRun: boolean, lockDir?: string): Promise<RedirectPlan & { app: OAuthApp }> {
  const run = async () => {
    const app = await findOrFail(adapter, ref);
    const plan = planRedirects(app.redirectUris, add, remove);
    if (!plan.changed || dryRun) return { ...plan, app };
    let current = app;
    for (let attempt = 1; ; attempt++) {
      const step = planRedirects(current.redirectUris, add, remove);
      await adapter.setRedirectUris(current, step.after);
      const back = await findOrFail(adapter, current.id);
      const missing = add.filter((u) => !back.redirectUris.includes(u));
      const lingering = remove.filter((u) => back.redirectUris.includes(u));
      if (!missing.length && !lingering.length) return { ...plan, after: back.redirectUris, app: back };
      if (attempt >= WRITE_ATTEMPTS) {
        const { ProviderError } = await import('./types.js');
        throw new ProviderError(adapter.name, `after ${attempt} writes the app's redirect URIs still ${missing.length ? `lack ${missing.join(', ')}` : ''}${missing.length && lingering.length ? ' and ' : ''}${lingering.length ? `contain ${lingering.join(', ')}` : ''}: something else keeps changing them`, undefined, 'write_conflict', 'Check who else edits this app (the dashboard, another deployment script), then run the command again.');
      }
      current = back;
    }
  };
  return lockDir ? (await import('./lock.js')).withAppLock(lockDir, adapter.name, ref, run) : run();
}

export interface MethodPlan {
  app: OAuthApp;
  /** What the provider stores now (null: no method of its own, e.g. private_key_jwt on Auth0). */
  before: string | null;
  after: string | null;
  changed: boolean;
  /** Why the method is left as it is although it differs (a public client, a key-based one). */
  blocked?: string;
}

/**
 * Align the app's token endpoint authentication method with `method` (read, compare, write, read
 * back), only where the provider stores one per app and the app authenticates with its secret
 * now: a public client (`none`) or one that uses keys is not turned into a secret-based one here.
 */
export async function alignTokenAuthMethod(adapter: ProviderAdapter, ref: string, method: SecretAuthMethod, dryRun: boolean, lockDir?: string): Promise<MethodPlan> {
  const run = async (): Promise<MethodPlan> => {
    const app = await findOrFail(adapter, ref);
    const before = app.tokenAuthMethod ?? null;
    const plan: MethodPlan = { app, before, after: before, changed: false };
    if (before === method) return plan;
    if (before !== 'client_secret_post' && before !== 'client_secret_basic') {
      return { ...plan, blocked: before === 'none' ? 'the app is a public client (none): a GPT Action needs a confidential one; create it with gpt-oauth init --target actions' : 'the app does not authenticate with its client secret; a GPT Action sends the secret' };
    }
    if (dryRun || !adapter.setTokenAuthMethod) return { ...plan, after: method, changed: true };
    await adapter.setTokenAuthMethod(app, method);
    const back = await findOrFail(adapter, app.id);
    if (back.tokenAuthMethod !== method) {
      const { ProviderError } = await import('./types.js');
      throw new ProviderError(adapter.name, `the app's token endpoint authentication method reads back as ${String(back.tokenAuthMethod)} after setting ${method}`, undefined, 'write_conflict', 'Check who else edits this app, then run the command again.');
    }
    return { ...plan, app: back, after: method, changed: true };
  };
  return lockDir ? (await import('./lock.js')).withAppLock(lockDir, adapter.name, ref, run) : run();
}

async function findOrFail(adapter: ProviderAdapter, ref: string): Promise<OAuthApp> {
  const app = await adapter.findApp(ref);
  if (app) return app;
  const { ProviderError } = await import('./types.js');
  throw new ProviderError(adapter.name, `no OAuth app "${ref}" on ${adapter.name} (looked for an id, a client id and an exact name)`, 404, 'not_found', 'List your apps in the provider dashboard, or pass the client id.');
}

/** https anywhere, http only on loopback; no fragments, no user info. Checked before any call. */
export function validateRedirectUri(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `"${raw}" is not an absolute URL`;
  }
  if (!isHttpsOrLoopback(u)) return `"${raw}" must use https (http only on loopback)`;
  if (u.hash) return `"${raw}" must not contain a #fragment`;
  if (u.username || u.password) return `"${raw}" must not contain user info`;
  return undefined;
}
