// Real ZooKeeper and Redis servers on loopback, in temp dirs, for tests, the demo and the bench.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { startProcess, type Owned } from './process.ts';
import { waitFor } from './wait.ts';

const ZK_CLASSPATH = '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar';

export type Server = { port: number; address: string; pid: number; dir: string; stop(): Promise<void>; output(): string };

/** Sends one line to a TCP port and returns the first chunk the server answers. */
export function tcpAsk(port: number, line: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write(line));
    socket.on('data', (b) => {
      resolve(b.toString());
      socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(''));
  });
}

function own(proc: Owned, port: number, dir: string, keepDir: boolean): Server {
  return {
    port,
    address: `127.0.0.1:${port}`,
    pid: proc.pid,
    dir,
    output: proc.output,
    async stop() {
      await proc.stop();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type ZooKeeperOptions = { port?: number; dir?: string; tickTime?: number };

/** Starts a standalone ZooKeeper (Debian's package) and waits until it answers `ruok`. */
export async function startZooKeeper(options: ZooKeeperOptions = {}): Promise<Server> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'zkedge-zk-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      `tickTime=${options.tickTime ?? 500}`,
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr,stat,mntr',
      'minSessionTimeout=1000',
      'maxSessionTimeout=60000',
      '',
    ].join('\n'),
  );
  const proc = startProcess('java', ['-Xmx128m', '-XX:+UseSerialGC', '-cp', ZK_CLASSPATH, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfg]);
  const server = own(proc, port, dir, options.dir !== undefined);
  try {
    await waitFor(`ZooKeeper on port ${port}`, async () => (await tcpAsk(port, 'ruok')) === 'imok', 30_000, 50);
  } catch (e) {
    await server.stop();
    throw new Error(`${(e as Error).message}\n${proc.output()}`);
  }
  return server;
}

/** Starts redis-server without persistence and waits until it answers PING. */
export async function startRedis(options: { port?: number } = {}): Promise<Server> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'zkedge-redis-'));
  const proc = startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
  const server = own(proc, port, dir, false);
  try {
    await waitFor(`Redis on port ${port}`, async () => (await tcpAsk(port, 'PING\r\n', 500)).startsWith('+PONG'), 15_000, 20);
  } catch (e) {
    await server.stop();
    throw new Error(`${(e as Error).message}\n${proc.output()}`);
  }
  return server;
}

export type Ensemble = { connect: string; members: Server[]; clientPorts: number[]; stop(): Promise<void>; leaderIndex(): Promise<number> };

/** Mode ("leader", "follower", "standalone") of the server on `port`, from the `srvr` four-letter word. */
export async function zkMode(port: number): Promise<string | undefined> {
  const out = await tcpAsk(port, 'srvr', 1_000).catch(() => '');
  return /Mode: (\w+)/.exec(out)?.[1];
}

/** Starts an n-node ZooKeeper ensemble on loopback and waits until it has a leader. */
export async function startZooKeeperEnsemble(n = 3): Promise<Ensemble> {
  const ports = await Promise.all(Array.from({ length: n * 3 }, () => freePort()));
  const clientPorts = ports.slice(0, n);
  const servers = Array.from({ length: n }, (_, i) => `server.${i + 1}=127.0.0.1:${ports[n + i]}:${ports[2 * n + i]}`);
  const members: Server[] = [];
  const start = async (i: number) => {
    const dir = mkdtempSync(join(tmpdir(), `zkedge-zk${i + 1}-`));
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'myid'), `${i + 1}\n`);
    const cfg = join(dir, 'zoo.cfg');
    writeFileSync(
      cfg,
      [
        'tickTime=500',
        'initLimit=20',
        'syncLimit=10',
        `dataDir=${join(dir, 'data')}`,
        `clientPort=${clientPorts[i]}`,
        'clientPortAddress=127.0.0.1',
        'admin.enableServer=false',
        '4lw.commands.whitelist=ruok,srvr,stat,mntr',
        'minSessionTimeout=1000',
        'maxSessionTimeout=60000',
        ...servers,
        '',
      ].join('\n'),
    );
    const proc = startProcess('java', ['-Xmx128m', '-XX:+UseSerialGC', '-cp', ZK_CLASSPATH, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg]);
    members[i] = own(proc, clientPorts[i]!, dir, false);
  };
  await Promise.all(Array.from({ length: n }, (_, i) => start(i)));
  const ensemble: Ensemble = {
    connect: clientPorts.map((p) => `127.0.0.1:${p}`).join(','),
    members,
    clientPorts,
    stop: async () => void (await Promise.all(members.map((m) => m.stop()))),
    leaderIndex: async () => {
      const modes = await Promise.all(clientPorts.map((p) => zkMode(p)));
      return modes.indexOf('leader');
    },
  };
  try {
    await waitFor('the ensemble to elect a leader and serve', async () => {
      const modes = await Promise.all(clientPorts.map((p) => zkMode(p)));
      return modes.includes('leader') && modes.filter((m) => m === 'follower').length === n - 1;
    }, 60_000, 100);
  } catch (e) {
    await ensemble.stop();
    throw e;
  }
  return ensemble;
}
