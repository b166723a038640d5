/**
 * A USB bus in memory for the HID POS driver (drivers/usb-hid/usb-bus.ts): tests plug and unplug
 * scanners, make them send input reports, make opening fail, and see what the driver opened.
 */
import type { UsbBus, UsbBusListener, UsbDevice } from '../../drivers/usb-hid/usb-bus.js';

let plugged = 0;

export class FakeUsbDevice implements UsbDevice {
  readonly key = `fake-${++plugged}`;
  opens = 0;
  closes = 0;
  isOpen = false;
  claimed: number | undefined;
  /** Reports the driver has taken with readReport(). */
  taken = 0;
  /** The next `failOpens` opens reject with `openError`. */
  failOpens = 0;
  openError = 'LIBUSB_ERROR_ACCESS: permission denied';
  private readonly queue: Uint8Array[] = [];
  private waiter: { resolve(r: Uint8Array): void; reject(e: Error): void } | undefined;
  private gone = false;

  constructor(
    readonly vendorId: number,
    readonly productId: number,
    readonly serialNumber: string | undefined = undefined,
  ) {}

  /** The scanner sends these input reports (buffered until the driver asks for them). */
  send(...reports: Uint8Array[]): void {
    for (const report of reports) {
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = undefined;
        this.taken++;
        waiter.resolve(report);
      } else {
        this.queue.push(report);
      }
    }
  }

  /** Reports sent and not yet asked for. */
  queued(): number {
    return this.queue.length;
  }

  async open(): Promise<void> {
    this.opens++;
    if (this.gone) throw new Error('LIBUSB_ERROR_NO_DEVICE: no such device');
    if (this.failOpens > 0) {
      this.failOpens--;
      throw new Error(this.openError);
    }
    this.isOpen = true;
  }

  async claim(interfaceNumber: number): Promise<void> {
    if (!this.isOpen) throw new Error('claim on a closed device');
    this.claimed = interfaceNumber;
  }

  readReport(): Promise<Uint8Array> {
    if (this.waiter) return Promise.reject(new Error('readReport() called while another is pending'));
    if (!this.isOpen)
      return Promise.reject(new Error(this.gone ? 'LIBUSB_ERROR_NO_DEVICE' : 'device closed'));
    const next = this.queue.shift();
    if (next) {
      this.taken++;
      return Promise.resolve(next);
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  async close(): Promise<void> {
    if (this.isOpen) this.closes++;
    this.shut(new Error('device closed'));
  }

  /** The device fails while still plugged in (a transfer error): the handle dies, it can reopen. */
  fault(message: string): void {
    this.shut(new Error(message));
  }

  /** Called by the bus on unplug: the handle dies, reports not yet read are lost. */
  vanish(): void {
    this.gone = true;
    this.queue.length = 0;
    this.shut(new Error('LIBUSB_ERROR_NO_DEVICE: device unplugged'));
  }

  private shut(error: Error): void {
    this.isOpen = false;
    this.claimed = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }
}

export class FakeUsbBus implements UsbBus {
  readonly present: FakeUsbDevice[] = [];
  private readonly listeners = new Set<UsbBusListener>();
  /** The next `failLists` list() calls reject (no USB stack, no permission). */
  failLists = 0;
  lists = 0;

  constructor(...devices: FakeUsbDevice[]) {
    this.present.push(...devices);
  }

  /** Listeners watching now (0 once the driver stopped). */
  watchers(): number {
    return this.listeners.size;
  }

  plug(device: FakeUsbDevice): void {
    this.present.push(device);
    for (const l of this.listeners) l.connect(device);
  }

  unplug(device: FakeUsbDevice): void {
    const at = this.present.indexOf(device);
    if (at >= 0) this.present.splice(at, 1);
    for (const l of this.listeners) l.disconnect(device.key);
    device.vanish();
  }

  async list(): Promise<UsbDevice[]> {
    this.lists++;
    if (this.failLists > 0) {
      this.failLists--;
      throw new Error('/sys/bus/usb/devices/ not found');
    }
    return [...this.present];
  }

  async watch(listener: UsbBusListener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }
}

/** A scanned code as the HID POS layout sends it: 64-byte reports of at most `chunk` data bytes. */
export function hidPosReports(code: string | Buffer, chunk = 56): Uint8Array[] {
  const bytes = typeof code === 'string' ? Buffer.from(code, 'latin1') : code;
  const hasAim = bytes[0] === 0x5d; // ']'
  const aim = hasAim ? bytes.subarray(0, 3) : Buffer.alloc(3);
  const data = hasAim ? bytes.subarray(3) : bytes;
  const reports: Uint8Array[] = [];
  for (let at = 0; at < data.length || reports.length === 0; at += chunk) {
    const part = data.subarray(at, at + chunk);
    const report = Buffer.alloc(64);
    report[0] = 2;
    report[1] = part.length;
    aim.copy(report, 2);
    part.copy(report, 5);
    report[61] = 0x64; // a vendor symbology id, not part of the code
    report[63] = at + chunk < data.length ? 1 : 0;
    reports.push(report);
  }
  return reports;
}
