/**
 * A real RabbitMQ cluster of N nodes on one machine, from Debian's `rabbitmq-server`, for
 * integration tests and the fleet bench: every node has its own name, ports (AMQP, MQTT, Erlang
 * distribution), data and log dirs in one temp dir; all share an Erlang cookie and one epmd on
 * a port of their own, so nothing collides with the package's service or another cluster. The
 * MQTT plugin is on, durable MQTT subscriptions are quorum queues, and nodes 2..N join node 1
 * through classic peer discovery at first boot (no rabbitmqctl, whose start alone costs seconds).
 *
 * A node can be killed like a crash (SIGKILL of its Erlang VM) and started again; `stop()` kills
 * every VM and the epmd it started and removes the temp dir.
 *
 * CLI: `node dist/test/support/rabbitmq.js [nodes]` starts a cluster, prints its MQTT URLs and
 * the start time as JSON, and keeps it up until Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from './mosquitto.js';

const rabbitmqLib = '/usr/lib/rabbitmq/lib';

/**
 * The package's own scripts (rabbitmq-server, rabbitmqctl), not /usr/sbin's wrappers that switch
 * to the rabbitmq user; the folder is named after the version Debian ships.
 */
export function rabbitmqSbin(): string {
  const release = readdirSync(rabbitmqLib).find((name) => name.startsWith('rabbitmq_server-'));
  if (!release) throw new Error(`no rabbitmq_server-* in ${rabbitmqLib}: run test/setup.sh`);
  return join(rabbitmqLib, release, 'sbin');
}
export const epmdPath = '/usr/bin/epmd';

export interface RabbitNode {
  /** Erlang node name, e.g. `rp-1a2b-1@localhost`. */
  readonly name: string;
  /** mqtt://127.0.0.1:PORT of this node's MQTT listener. */
  readonly url: string;
  readonly mqttPort: number;
  readonly amqpPort: number;
  /** Whether this node's VM is running (started and not killed since). */
  readonly running: boolean;
  /** SIGKILL of the node's Erlang VM, like a power cut; resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts the node again with its data dir; resolves once its MQTT listener takes CONNECTs. */
  start(): Promise<void>;
  /** The node's log lines (stdout), newest last, at most the last 300. */
  readonly log: readonly string[];
}

export interface RabbitCluster {
  readonly nodes: readonly RabbitNode[];
  /** Every node's MQTT URL, node 1 first. */
  readonly urls: readonly string[];
  /** Milliseconds from the first spawn until every node took MQTT CONNECTs and joined. */
  readonly startMs: number;
  /** Kills every node and the epmd, removes the temp dir. */
  stop(): Promise<void>;
}

export interface RabbitClusterOptions {
  nodes?: number;
  /** Milliseconds to wait for the whole cluster; a loaded 2-core box needs tens of seconds. */
  timeoutMs?: number;
}

export async function startRabbitCluster(options: RabbitClusterOptions = {}): Promise<RabbitCluster> {
  const count = options.nodes ?? 1;
  const timeoutMs = options.timeoutMs ?? 90_000;
  const began = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'rp-rabbitmq-'));
  const tag = randomBytes(3).toString('hex');
  const names = Array.from({ length: count }, (_, i) => `rp-${tag}-${i + 1}@localhost`);
  // rabbitmqctl and the nodes find one another through $HOME/.erlang.cookie.
  writeFileSync(join(dir, '.erlang.cookie'), randomBytes(16).toString('hex'));
  chmodSync(join(dir, '.erlang.cookie'), 0o400);
  // An empty env file, so /etc/rabbitmq/rabbitmq-env.conf is not read.
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');

  const epmdPort = await freePort();
  const epmd = spawn(epmdPath, ['-port', String(epmdPort), '-address', '127.0.0.1'], {
    stdio: 'ignore',
  });
  const nodes: Node[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    // A VM now and then runs a short-lived `epmd-starter` VM in a session of its own; one caught
    // mid-run by the kill would outlive it and could start an epmd on our port.
    killStragglers(dir, epmdPort);
    if (epmd.exitCode === null && epmd.signalCode === null) {
      const gone = new Promise((r) => epmd.once('exit', r));
      epmd.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, name] of names.entries()) {
      nodes.push(await Node.prepare(dir, i + 1, name, names[0]!, epmdPort));
    }
    const deadline = began + timeoutMs;
    // Node 1 first: the others join it, and one that found nobody would form a cluster alone.
    await nodes[0]!.start(deadline);
    await Promise.all(nodes.slice(1).map((n) => n.start(deadline)));
    if (count > 1) await nodes[0]!.waitForPeers(names.slice(1), deadline);
  } catch (err) {
    const logs = nodes.map((n) => `${n.name}:\n${n.log.slice(-30).join('\n')}`).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    startMs: Date.now() - began,
    stop,
  };
}

class Node implements RabbitNode {
  readonly log: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly name: string,
    readonly mqttPort: number,
    readonly amqpPort: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async prepare(dir: string, index: number, name: string, seed: string, epmdPort: number) {
    const home = join(dir, `node${index}`);
    mkdirSync(join(home, 'log'), { recursive: true });
    const [amqpPort, mqttPort, distPort] = [await freePort(), await freePort(), await freePort()];
    const conf = join(home, 'rabbitmq.conf');
    writeFileSync(
      conf,
      [
        `listeners.tcp.1 = 127.0.0.1:${amqpPort}`,
        `mqtt.listeners.tcp.1 = 127.0.0.1:${mqttPort}`,
        'mqtt.allow_anonymous = true',
        // Durable (clean=false) MQTT subscriptions are replicated quorum queues, not node-local ones.
        'mqtt.durable_queue_type = quorum',
        'cluster_formation.peer_discovery_backend = classic_config',
        `cluster_formation.classic_config.nodes.1 = ${seed}`,
        // A test box has little disk free; the default 50 MB limit is not what is tested here.
        'disk_free_limit.absolute = 1MB',
        'log.console = true',
        'log.console.level = info',
        'log.file = false',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      LANG: 'C.UTF-8',
      ERL_EPMD_PORT: String(epmdPort),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_NODENAME: name,
      RABBITMQ_CONFIG_FILE: conf,
      RABBITMQ_ADVANCED_CONFIG_FILE: join(home, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(home, 'mnesia'),
      RABBITMQ_LOG_BASE: join(home, 'log'),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    };
    return new Node(name, mqttPort, amqpPort, env);
  }

  get url() {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  get running() {
    return this.child !== undefined;
  }

  async start(deadline = Date.now() + 60_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const proc = spawn(join(rabbitmqSbin(), 'rabbitmq-server'), [], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: the VM's helpers (erl_child_setup, the short-lived
      // `epmd-starter` VM it runs now and then) go with it, and none outlives a kill.
      detached: true,
    });
    this.child = proc;
    let gone = false;
    this.exited = new Promise((resolve) => {
      proc.once('exit', () => {
        gone = true;
        resolve();
      });
    });
    const keep = (chunk: string) => {
      this.log.push(...chunk.split('\n').filter(Boolean));
      if (this.log.length > 300) this.log.splice(0, this.log.length - 300);
    };
    proc.stdout?.setEncoding('utf8').on('data', keep);
    proc.stderr?.setEncoding('utf8').on('data', keep);
    // Both listeners: the AMQP one is up before the MQTT plugin's, but a node whose AMQP port was
    // taken meanwhile (ports are picked free, then bound by the node) must not pass for ready.
    while (!(await mqttAccepts(this.mqttPort)) || !(await tcpAccepts(this.amqpPort))) {
      if (gone) {
        this.child = undefined;
        throw new Error(`${this.name} exited at start`);
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} took no MQTT CONNECT or AMQP connection in time`);
      await sleep(100);
    }
  }

  /** Resolves once this node's log says each of `peers` is up in its cluster. */
  async waitForPeers(peers: readonly string[], deadline: number): Promise<void> {
    const joined = () => peers.every((p) => this.log.some((l) => l.includes(`node '${p}' up`)));
    while (!joined()) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not see ${peers.join(', ')} join`);
      await sleep(100);
    }
  }

  async kill(): Promise<void> {
    const script = this.child;
    if (!script?.pid) return;
    // The start script runs the VM as its child and waits for it: kill the VM, the script follows.
    for (const pid of childrenOf(script.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    // It reaps the VM and exits; a script still setting up (no VM yet) is killed itself.
    const exited = await Promise.race([this.exited.then(() => true), sleep(2000).then(() => false)]);
    if (!exited) script.kill('SIGKILL');
    await this.exited;
    try {
      process.kill(-script.pid, 'SIGKILL');
    } catch {}
    this.child = undefined;
  }
}

/** SIGKILLs what this cluster's VMs left running: processes naming `dir` or using `epmdPort`. */
function killStragglers(dir: string, epmdPort: number): void {
  const marks = [`-home\0${dir}\0`, `ERL_EPMD_PORT=${epmdPort}\0`];
  const ours = (pid: string) =>
    ['cmdline', 'environ'].some((file) => {
      try {
        const text = readFileSync(`/proc/${pid}/${file}`, 'latin1');
        return marks.some((m) => text.includes(m));
      } catch {
        return false;
      }
    });
  const self = String(process.pid);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && p !== self && ours(p))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether something accepts a TCP connection on `port`. */
function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

/** Whether an MQTT 3.1.1 CONNECT on `port` is answered with CONNACK 0 (listener up, node booted). */
function mqttAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const id = Buffer.from('rp-probe');
    // CONNECT: protocol "MQTT" level 4, clean session, keepalive 10, client id.
    const body = Buffer.concat([
      Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 10, 0, id.length]),
      id,
    ]);
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.once('connect', () => socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body])));
    socket.once('data', (d) => done(d[0] === 0x20 && d[3] === 0));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cluster = await startRabbitCluster({ nodes: Number(process.argv[2] ?? 1) });
  console.log(
    JSON.stringify({ urls: cluster.urls, nodes: cluster.nodes.map((n) => n.name), startMs: cluster.startMs }),
  );
  const bye = () => cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', bye);
  process.once('SIGTERM', bye);
}
