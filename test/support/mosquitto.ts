/**
 * A real Mosquitto on a free loopback port, for integration tests: started from a temp config,
 * killed like a crash (SIGKILL) or stopped like systemd (SIGTERM), restarted on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const mosquittoPath = '/usr/sbin/mosquitto';

export interface Mosquitto {
  /** mqtt://127.0.0.1:PORT, or mqtts://localhost:PORT with `tls`. */
  url: string;
  port: number;
  /** SIGTERM, waits for the exit, removes the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL, waits for the exit (the temp dir stays for restart()). */
  kill(): Promise<void>;
  /** Starts again on the same port with the same config. */
  restart(): Promise<void>;
  /** The broker's log lines (stderr), newest last, at most the last 200. */
  readonly log: readonly string[];
}

export interface MosquittoOptions {
  port?: number;
  persistence?: boolean;
  /** PEM file paths: the listener speaks TLS only. */
  tls?: { ca: string; cert: string; key: string };
  /** A file made by `mosquitto_passwd`: anonymous clients are then refused. */
  passwordFile?: string;
}

/** A port nobody listens on right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'rp-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      // As root, mosquitto would drop to the `mosquitto` user, who cannot use this 0700 temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'per_listener_settings false',
      `listener ${port} 127.0.0.1`,
      ...(options.tls
        ? [`cafile ${options.tls.ca}`, `certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`]
        : []),
      options.passwordFile ? 'allow_anonymous false' : 'allow_anonymous true',
      ...(options.passwordFile ? [`password_file ${options.passwordFile}`] : []),
      // Forward to subscribers at once instead of queueing behind 20 unacknowledged messages:
      // a message Mosquitto acknowledged then sits in a socket, not in a queue a SIGKILL loses.
      'max_inflight_messages 0',
      'max_queued_messages 0',
      `persistence ${options.persistence ? 'true' : 'false'}`,
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      '',
    ].join('\n'),
  );
  const log: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const proc = spawn(mosquittoPath, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let gone = false;
    exited = new Promise((resolve) => {
      proc.once('exit', () => {
        gone = true;
        resolve();
      });
    });
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      log.push(...chunk.split('\n').filter(Boolean));
      if (log.length > 200) log.splice(0, log.length - 200);
    });
    const deadline = Date.now() + 5000;
    while (!(await canConnect(port))) {
      if (gone) throw new Error(`mosquitto exited at start:\n${log.join('\n')}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`mosquitto did not listen on ${port} within 5 s:\n${log.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const signal = async (sig: NodeJS.Signals) => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
    child = undefined;
  };

  await launch();
  return {
    url: options.tls ? `mqtts://localhost:${port}` : `mqtt://127.0.0.1:${port}`,
    port,
    log,
    async stop() {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGTERM');
      await launch();
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
