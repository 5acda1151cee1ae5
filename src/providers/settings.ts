/** The one "already right / changed" loop of the adapters: compare wanted settings with current ones. */
import type { SettingChange } from './types.js';

/** The patch to send (only what differs) and the change list to report. */
export function diffSettings(current: Record<string, unknown>, want: Record<string, unknown>): { patch: Record<string, unknown>; changes: SettingChange[] } {
  const patch: Record<string, unknown> = {};
  const changes: SettingChange[] = [];
  for (const [k, v] of Object.entries(want)) {
    if (current[k] === v) changes.push({ setting: k, to: v, status: 'already' });
    else {
      patch[k] = v;
      changes.push({ setting: k, from: current[k] ?? null, to: v, status: 'changed' });
    }
  }
  return { patch, changes };
}
