/**
 * The fleet bench's side of a process of simulated gateways (fleet-gateways.ts): forks it, waits
 * until its gateways are connected, and sends it one request at a time over the IPC channel.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetProcessOptions, GatewayReport, WindowReport } from './fleet-gateways.js';

interface Reply {
  readonly type: string;
  readonly error?: string;
}

export class FleetProcess {
  private readonly waiting: Array<{ type: string; resolve: (m: Reply) => void; reject: (e: Error) => void }> =
    [];
  private readonly exited: Promise<void>;
  private gone: Error | undefined;
  /** Milliseconds its gateways took to connect, all of them. */
  connectMs = Number.NaN;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: Reply) => {
      if (m.type === 'error') return this.fail(new Error(m.error ?? 'gateway process failed'));
      const at = this.waiting.findIndex((w) => w.type === m.type);
      if (at >= 0) this.waiting.splice(at, 1)[0]!.resolve(m);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.fail(new Error(`gateway process exited with ${code ?? signal}`));
        resolve();
      });
    });
  }

  /** Forks a process with these gateways; resolves once every one of them is connected. */
  static async start(options: FleetProcessOptions): Promise<FleetProcess> {
    const script = fileURLToPath(new URL('./fleet-gateways.js', import.meta.url));
    const p = new FleetProcess(
      fork(script, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    try {
      const ready = (await p.next('ready')) as Reply & { connectMs: number };
      p.connectMs = ready.connectMs;
    } catch (err) {
      await p.stop();
      throw err;
    }
    return p;
  }

  go(t0: number): void {
    this.child.send({ type: 'go', t0 });
  }

  mark(): void {
    this.child.send({ type: 'mark' });
  }

  async report(from: number, to: number): Promise<WindowReport> {
    const reply = this.next('report');
    this.child.send({ type: 'report', from, to });
    return (await reply) as unknown as WindowReport;
  }

  /** Stops offering events and waits (at most timeoutMs) until all offered are acknowledged. */
  async drain(timeoutMs: number): Promise<readonly GatewayReport[]> {
    const reply = this.next('drained');
    this.child.send({ type: 'drain', timeoutMs });
    return ((await reply) as unknown as { gateways: GatewayReport[] }).gateways;
  }

  /** Stops its uplinks; a process not gone within 10 s is killed. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  private next(type: string): Promise<Reply> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => this.waiting.push({ type, resolve, reject }));
  }

  private fail(err: Error): void {
    this.gone ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.gone);
  }
}
