// The one place that talks to the native ZooKeeper client: promise operations and connection states.
//
// IMPORTANT: a native client whose session expired is dead (reusing it can crash the process), so on
// `close` this wrapper creates a fresh one; consumers see `lost` and later `connected` (a new session,
// all watches gone) and must re-read everything they watch.
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ZooKeeper: any = require('zookeeper');
export const ZK = ZooKeeper.constants as Record<string, number>;

/** Curator's connection states: each has one duty for the consumer. */
export type ConnectionState = 'connected' | 'suspended' | 'reconnected' | 'lost';

export type Stat = { version: number; cversion: number; czxid: number; mzxid: number; pzxid: number; ephemeralOwner: string; numChildren: number };

export class ZkOpError extends Error {
  constructor(readonly rc: number, readonly op: string, readonly path: string) {
    super(`ZooKeeper ${op} ${path} failed: ${describeRc(rc)} (rc ${rc})`);
    this.name = 'ZkOpError';
  }
}

const RC_NAMES: Record<number, string> = {};
for (const [name, value] of Object.entries(ZK)) if (name.startsWith('Z') && !name.startsWith('ZOO')) RC_NAMES[value] = name;
function describeRc(rc: number): string {
  return RC_NAMES[rc] ?? 'unknown error';
}

export type ZkEvents = {
  state: [ConnectionState];
  changed: [string];
  child: [string];
  created: [string];
  deleted: [string];
};

export type ZkClientOptions = { connect: string; sessionTimeoutMs?: number };

export type ZkClient = {
  readonly state: ConnectionState | 'connecting';
  readonly events: EventEmitter<ZkEvents>;
  /** Resolves once the first session is established. */
  ready(timeoutMs?: number): Promise<void>;
  getData(path: string, watch: boolean): Promise<{ data: string; stat: Stat } | null>;
  getChildren(path: string, watch: boolean): Promise<{ children: string[]; stat: Stat } | null>;
  exists(path: string, watch: boolean): Promise<Stat | null>;
  create(path: string, data: string, flags?: number): Promise<string>;
  setData(path: string, data: string, version?: number): Promise<Stat>;
  remove(path: string, version?: number): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /** Session id as hex, or '' before the first connection. */
  sessionId(): string;
  /** Session id and password (hex): test tooling (dev/expire-session.ts) uses them to expire this session on purpose. */
  credentials(): { id: string; password: string };
  /** Idempotent. */
  close(): Promise<void>;
};

export function createZkClient(options: ZkClientOptions): ZkClient {
  const events = new EventEmitter<ZkEvents>();
  let state: ConnectionState | 'connecting' = 'connecting';
  let closed = false;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let native: any;
  let readyResolve: () => void = () => {};
  // IMPORTANT: a native client that closes (session expired) never calls back its pending
  // operations, so they are failed here; otherwise a caller awaiting one would hang forever.
  let pending = new Set<(e: Error) => void>();
  let nativeDead = false; // between a native client's close and its replacement: calls would never return
  const failPending = (rc: number) => {
    const waiting = pending;
    pending = new Set();
    for (const fail of waiting) fail(new ZkOpError(rc, 'pending operation', '(session ended)'));
  };
  const readyPromise = new Promise<void>((r) => (readyResolve = r));

  const setState = (next: ConnectionState) => {
    state = next;
    events.emit('state', next);
  };

  const open = () => {
    const client = new ZooKeeper({
      connect: options.connect,
      timeout: options.sessionTimeoutMs ?? 10_000,
      debug_level: ZK.ZOO_LOG_LEVEL_ERROR,
      host_order_deterministic: false,
      data_as_buffer: false,
      // IMPORTANT: the binding closes a client as "expired" after 10 polls in a row with nothing to
      // process (its default), which happens while a server is unreachable or restarting; pending
      // operations then fail with ZCLOSING. Real expiry is the server's to declare.
      response_counter_limit: 1_000_000,
    });
    let everConnected = false;
    client.on('connect', () => {
      if (client !== native) return;
      if (!everConnected) {
        everConnected = true;
        setState('connected');
        readyResolve();
      } else setState('reconnected');
    });
    client.on('connecting', () => {
      if (client === native && everConnected && state !== 'suspended') setState('suspended');
    });
    client.on('close', () => {
      if (client !== native || closed) return;
      nativeDead = true;
      failPending(ZK.ZSESSIONEXPIRED as number);
      setState('lost');
      setImmediate(open); // a new session; consumers re-read on its `connected`
    });
    for (const ev of ['changed', 'child', 'created', 'deleted'] as const) {
      client.on(ev, (_handle: unknown, path: string) => {
        if (client === native) events.emit(ev, path);
      });
    }
    native = client;
    nativeDead = false;
    client.init({});
  };
  open();

  const call = <T>(op: string, path: string, start: (cb: (rc: number, error: unknown, ...rest: unknown[]) => void) => void, map: (...rest: unknown[]) => T, nullOnNoNode = false) =>
    new Promise<T>((resolve, reject) => {
      if (closed) return reject(new ZkOpError(ZK.ZCLOSING as number, op, path));
      if (nativeDead) return reject(new ZkOpError(ZK.ZSESSIONEXPIRED as number, op, path));
      const owner = pending;
      const fail = (e: Error) => reject(e);
      owner.add(fail);
      start((rc, _error, ...rest) => {
        owner.delete(fail);
        if (rc === ZK.ZOK) resolve(map(...rest));
        else if (nullOnNoNode && rc === ZK.ZNONODE) resolve(null as T);
        else reject(new ZkOpError(rc, op, path));
      });
    });

  return {
    get state() {
      return state;
    },
    events,
    ready(timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`ZooKeeper at ${options.connect} not reachable within ${timeoutMs} ms`)), timeoutMs);
        void readyPromise.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    getData: (path, watch) =>
      call('get', path, (cb) => native.a_get(path, watch, cb), (stat, data) => ({ stat: stat as Stat, data: (data as string | null) ?? '' }), true),
    getChildren: (path, watch) =>
      call('get_children', path, (cb) => native.a_get_children2(path, watch, cb), (children, stat) => ({ children: children as string[], stat: stat as Stat }), true),
    exists: (path, watch) => call('exists', path, (cb) => native.a_exists(path, watch, cb), (stat) => stat as Stat, true),
    create: (path, data, flags = ZK.ZOO_PERSISTENT as number) => call('create', path, (cb) => native.a_create(path, data, flags, cb), (p) => p as string),
    setData: (path, data, version = -1) => call('set', path, (cb) => native.a_set(path, data, version, cb), (stat) => stat as Stat),
    remove: (path, version = -1) => call('delete', path, (cb) => native.a_delete_(path, version, cb), () => undefined),
    // Not the native mkdirp: it fills new nodes with the text "created by zk-mkdir-p", which is not
    // valid ServiceConfig JSON. Ours creates empty nodes (an empty ServiceConfig means defaults).
    async mkdirp(path) {
      let prefix = '';
      for (const part of path.split('/').filter(Boolean)) {
        prefix += `/${part}`;
        try {
          await call('create', prefix, (cb) => native.a_create(prefix, '', ZK.ZOO_PERSISTENT, cb), () => undefined);
        } catch (e) {
          if (!(e instanceof ZkOpError && e.rc === ZK.ZNODEEXISTS)) throw e;
        }
      }
    },
    sessionId: () => {
      try {
        return native?.client_id ? String(native.client_id) : '';
      } catch {
        return '';
      }
    },
    credentials: () => ({ id: String(native.client_id), password: String(native.client_password) }),
    async close() {
      if (closed) return;
      closed = true;
      failPending(ZK.ZCLOSING as number);
      native?.close();
    },
  };
}
