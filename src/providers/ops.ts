/**
 * Provider operations built on the adapter interface. Every write is read-merge-write, and
 * creation looks for an existing app of the same name first, so a run interrupted half-way and
 * run again converges to one app with the right redirect URIs.
 */
import type { AppSpec, OAuthApp, ProviderAdapter } from './types.js';
import { isHttpsOrLoopback } from '../url.js';

export interface EnsureResult {
  app: OAuthApp;
  created: boolean;
  /** Only when the app was created now (providers show secrets once). */
  clientSecret?: string;
  addedRedirectUris: string[];
}

export async function ensureApp(adapter: ProviderAdapter, spec: AppSpec, ref?: string): Promise<EnsureResult> {
  const existing = await adapter.findApp(ref ?? spec.name);
  if (!existing) {
    const { app, clientSecret } = await adapter.createApp(spec);
    return { app, created: true, clientSecret, addedRedirectUris: spec.redirectUris };
  }
  const diff = planRedirects(existing.redirectUris, spec.redirectUris, []);
  const app = diff.changed ? await adapter.setRedirectUris(existing, diff.after) : existing;
  return { app, created: false, addedRedirectUris: diff.added };
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

export async function updateRedirects(adapter: ProviderAdapter, ref: string, add: string[], remove: string[], dryRun: boolean): Promise<RedirectPlan & { app: OAuthApp }> {
  const app = await adapter.findApp(ref);
  if (!app) {
    const { ProviderError } = await import('./types.js');
    throw new ProviderError(adapter.name, `no OAuth app "${ref}" on ${adapter.name} (looked for an id, a client id and an exact name)`, 404, 'not_found', 'List your apps in the provider dashboard, or pass the client id.');
  }
  const plan = planRedirects(app.redirectUris, add, remove);
  if (!plan.changed || dryRun) return { ...plan, app };
  const updated = await adapter.setRedirectUris(app, plan.after);
  return { ...plan, after: updated.redirectUris, app: updated };
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
