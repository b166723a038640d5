/**
 * The service-manager seam: how the daemon tells systemd that it is up, reloading or stopping,
 * what it is doing (STATUS), and that its event loop still turns (the watchdog).
 *
 * Under systemd (NOTIFY_SOCKET set) each message is one run of the `systemd-notify` tool, an
 * async child process, so the event loop never blocks on it. The tool's barrier is kept: it
 * waits until systemd has read the message, which systemd needs to tell which unit a message
 * from a short-lived child belongs to (the unit therefore has NotifyAccess=all). Messages go
 * one at a time, in the order given. Outside systemd the manager does nothing at all.
 */
import { type ExecFileException, execFile } from 'node:child_process';
import type { Logger } from '../log.js';

/** What the daemon tells its service manager. Every method returns at once and never throws. */
export interface ServiceManager {
  /**
   * Start-up is complete: READY=1 with a STATUS text. Call it once the outbox is open and the
   * broker, uplink and readers are started (not once the uplink is connected: a central broker
   * offline for hours must not fail the start). Also ends a reload begun with reloading().
   */
  ready(status: string): void;
  /** A configuration reload began: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC, µs). End it with ready(). */
  reloading(): void;
  /** Shutdown began: STOPPING=1, with a STATUS text when given. */
  stopping(status?: string): void;
  /** STATUS=text, shown by `systemctl status`, e.g. "3 readers connected, outbox 0". */
  status(text: string): void;
  /**
   * Starts WATCHDOG=1 pings from the event loop every WATCHDOG_USEC/2 when systemd's watchdog
   * is on for this process (WATCHDOG_USEC set and WATCHDOG_PID, if set, is our pid). A ping due
   * while another message is still being sent is skipped, not queued. Returns the function
   * that stops the pings (a no-op when none were started).
   */
  startWatchdog(): () => void;
  /** Resolves once every message handed over so far has been sent or has failed. */
  settled(): Promise<void>;
  /** True when running under systemd with a notify socket. */
  readonly active: boolean;
}

/** Options of serviceManager(); the defaults are what the daemon uses. */
export interface ServiceManagerOptions {
  /** The systemd-notify program, looked up in the environment's PATH unless absolute. */
  notifyCommand?: string;
  /** How long one systemd-notify run may take before it is killed and counted as failed, ms. */
  timeoutMs?: number;
}

type Kind = 'READY' | 'RELOADING' | 'STOPPING' | 'STATUS' | 'WATCHDOG';

interface Message {
  readonly kind: Kind;
  readonly assignments: string[];
}

/** systemd-notify's own barrier gives up after 5 s; allow for that and a slow fork. */
const DEFAULT_TIMEOUT_MS = 10_000;

const NOTHING = Promise.resolve();

/** A manager for a process not started by systemd: sends nothing, spawns nothing, starts no timers. */
const outsideSystemd: ServiceManager = {
  active: false,
  ready: () => {},
  reloading: () => {},
  stopping: () => {},
  status: () => {},
  startWatchdog: () => () => {},
  settled: () => NOTHING,
};

/**
 * The service manager this process runs under, from its environment (NOTIFY_SOCKET,
 * WATCHDOG_USEC, WATCHDOG_PID; process.env is read, never changed). Failures to notify are
 * logged as a warning once per kind of message and are otherwise ignored: systemd's own
 * timeouts (start, watchdog) are what acts on a daemon that cannot report.
 */
export function serviceManager(
  env: NodeJS.ProcessEnv = process.env,
  log?: Logger,
  options: ServiceManagerOptions = {},
): ServiceManager {
  if (!env.NOTIFY_SOCKET) return outsideSystemd;
  return new SystemdNotifier(env, log, options);
}

class SystemdNotifier implements ServiceManager {
  readonly active = true;
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly queue: Message[] = [];
  private sending = false;
  private readonly warned = new Set<Kind>();
  private idle: (() => void)[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger | undefined,
    options: ServiceManagerOptions,
  ) {
    this.command = options.notifyCommand ?? 'systemd-notify';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  ready(status: string): void {
    this.send('READY', ['READY=1', statusLine(status)]);
  }

  reloading(): void {
    this.send('RELOADING', ['RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`]);
  }

  stopping(status?: string): void {
    this.send('STOPPING', status === undefined ? ['STOPPING=1'] : ['STOPPING=1', statusLine(status)]);
  }

  status(text: string): void {
    this.send('STATUS', [statusLine(text)]);
  }

  startWatchdog(): () => void {
    const intervalMs = watchdogIntervalMs(this.env);
    if (intervalMs === undefined) return () => {};
    const timer = setInterval(() => {
      if (this.sending || this.queue.length > 0) return;
      this.send('WATCHDOG', ['WATCHDOG=1']);
    }, intervalMs);
    // The pings alone must not keep a stopped daemon's process alive.
    timer.unref();
    return () => clearInterval(timer);
  }

  settled(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return NOTHING;
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private send(kind: Kind, assignments: string[]): void {
    this.queue.push({ kind, assignments });
    this.next();
  }

  private next(): void {
    if (this.sending) return;
    const message = this.queue.shift();
    if (message === undefined) {
      const waiting = this.idle;
      this.idle = [];
      for (const resolve of waiting) resolve();
      return;
    }
    this.sending = true;
    const done = (error: ExecFileException | null, stderr: string) => {
      this.sending = false;
      if (error) this.failed(message.kind, error, stderr);
      this.next();
    };
    try {
      execFile(
        this.command,
        message.assignments,
        { env: this.env, timeout: this.timeoutMs, encoding: 'utf8' },
        (error, _stdout, stderr) => done(error, stderr),
      );
    } catch (error) {
      // Arguments execFile refuses outright (it throws rather than calling back).
      queueMicrotask(() => done(error as ExecFileException, ''));
    }
  }

  private failed(kind: Kind, error: ExecFileException, stderr: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    let why: string;
    if (error.code === 'ENOENT') {
      why = `${this.command} was not found: install the systemd package, which provides it`;
    } else {
      const what = error.killed
        ? `${this.command} did not finish within ${this.timeoutMs} ms`
        : (stderr.trim() || error.message).split('\n')[0];
      why = `${what}. Check that the unit has NotifyAccess=all`;
    }
    this.log?.warn(
      { component: 'service', notify: kind },
      `could not notify systemd (${kind}): ${why}; further failures of this kind are not logged`,
    );
  }
}

/** STATUS=text on one line: a newline would start another assignment. */
function statusLine(text: string): string {
  return `STATUS=${text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()}`;
}

/** Half of WATCHDOG_USEC in ms, or undefined when the watchdog is not on for this process. */
function watchdogIntervalMs(env: NodeJS.ProcessEnv): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && env.WATCHDOG_PID !== String(process.pid)) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}
