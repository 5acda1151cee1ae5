/**
 * Per-sandbox in-memory storage for oidc-provider (its built-in one is process-global and
 * prints a warning). Entries expire; revoking a grant removes every token issued under it.
 */
type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: number };

export function createMemoryAdapter() {
  const store = new Map<string, { value: unknown; expires: number }>();
  const get = (key: string) => {
    const e = store.get(key);
    if (!e) return undefined;
    if (e.expires && e.expires < Date.now()) { store.delete(key); return undefined; }
    return e.value;
  };
  const set = (key: string, value: unknown, expiresIn?: number) => store.set(key, { value, expires: expiresIn ? Date.now() + expiresIn * 1000 : 0 });

  return class MemoryAdapter {
    constructor(readonly model: string) {}
    key(id: string) { return `${this.model}:${id}`; }
    async upsert(id: string, payload: Payload, expiresIn?: number) {
      const key = this.key(id);
      if (this.model === 'Session' && payload.uid) set(`sessionUid:${payload.uid}`, id, expiresIn);
      if (payload.grantId) {
        const gk = `grant:${payload.grantId}`;
        const list = (get(gk) as string[] | undefined) ?? [];
        list.push(key);
        set(gk, list, expiresIn);
      }
      if (payload.userCode) set(`userCode:${payload.userCode}`, id, expiresIn);
      set(key, payload, expiresIn);
    }
    async find(id: string) { return get(this.key(id)); }
    async findByUid(uid: string) { const id = get(`sessionUid:${uid}`) as string | undefined; return id ? this.find(id) : undefined; }
    async findByUserCode(code: string) { const id = get(`userCode:${code}`) as string | undefined; return id ? this.find(id) : undefined; }
    async consume(id: string) { const p = get(this.key(id)) as Payload | undefined; if (p) p.consumed = Math.floor(Date.now() / 1000); }
    async destroy(id: string) { store.delete(this.key(id)); }
    async revokeByGrantId(grantId: string) {
      for (const k of (get(`grant:${grantId}`) as string[] | undefined) ?? []) store.delete(k);
      store.delete(`grant:${grantId}`);
    }
  };
}
