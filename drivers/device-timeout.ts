/**
 * A timeout on a device's answer or keep-alive that does not blame the device for this process's
 * own stall.
 *
 * Node runs the timers that fell due before it reads the I/O that came meanwhile. So once the
 * event loop was held up (a loaded machine, a long GC pause) a plain timeout fires with the
 * device's bytes still unread, and the port closed on it takes those bytes with it. A timeout
 * that fires more than half its time late therefore gives the device one more period, in which
 * the bytes are read first; a device that is really silent is judged on time after that.
 */
export class DeviceTimeout {
  private timer: NodeJS.Timeout | undefined;
  private armedAt = 0;

  constructor(
    private readonly ms: number,
    private readonly expired: () => void,
  ) {}

  /** Starts the period again: a command went out, or the device was heard from. */
  start(): void {
    this.armedAt = performance.now();
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.fire(), this.ms);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    if (performance.now() - this.armedAt > this.ms * 1.5) {
      this.start();
      return;
    }
    this.timer = undefined;
    this.expired();
  }
}
