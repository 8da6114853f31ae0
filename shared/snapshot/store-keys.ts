// Store key names (DESIGN.md "Stores"): the same in Redis (with a prefix) and in Workers KV (none).

export type StoreKeys = ReturnType<typeof storeKeys>;

export function storeKeys(prefix: string) {
  return {
    prefix,
    service: (hash: string) => `${prefix}service:${hash}`,
    snapshot: (version: number) => `${prefix}snapshot:${version}`,
    current: `${prefix}current`,
    history: `${prefix}history`,
    epoch: `${prefix}epoch`,
    events: `${prefix}events`,
  };
}
