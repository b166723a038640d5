/**
 * The real USB bus: the `usb` package (3.x, WebUSB-style, native nusb binding). It is imported
 * on first use, so a machine without a working binding still runs the daemon; every failure
 * (binding missing, no /sys/bus/usb, permissions) becomes a rejection with a reason the driver
 * shows as `lastError`.
 *
 * Hot-plug uses the binding's own `Emitter` (declared in the package's index.d.ts) rather than
 * `usb.addEventListener`: the WebUSB wrapper rethrows a failed device scan or watcher from a
 * timer, which would crash the daemon; the Emitter's promises can be caught. When watching is
 * not possible at all, the bus polls the device list instead.
 */
import type { UsbBus, UsbBusListener, UsbDevice } from './usb-bus.js';

/** How long one interrupt transfer waits for a report before it is submitted again, ms; bounds close(). */
const TRANSFER_POLL_MS = 500;
/** Device-list polling when hot-plug cannot be watched, ms. */
const LIST_POLL_MS = 2000;

/** The part of the binding's device this bus uses (its typings lean on the DOM's WebUSB types). */
interface NativeEndpoint {
  readonly endpointNumber: number;
  readonly direction: string;
  readonly type: string;
  readonly packetSize: number;
}
interface NativeDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly handle: string;
  readonly serialNumber: string | null;
  readonly configuration:
    | {
        readonly interfaces: {
          readonly interfaceNumber: number;
          readonly alternate: { readonly endpoints: NativeEndpoint[] };
        }[];
      }
    | null
    | undefined;
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  detachKernelDriver(interfaceNumber: number): Promise<void>;
  attachKernelDriver(interfaceNumber: number): Promise<void>;
  nativeTransferIn(endpointNumber: number, timeout: number, length: number): Promise<Uint8Array | null>;
}
interface NativeEmitter {
  addAttach(callback: (device: NativeDevice) => void): Promise<void>;
  removeAttach(): Promise<void>;
  addDetach(callback: (handle: string) => void): Promise<void>;
  removeDetach(): Promise<void>;
}
interface Binding {
  getDevices(): Promise<NativeDevice[]>;
  newEmitter(): NativeEmitter;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

let binding: Promise<Binding> | undefined;

function load(): Promise<Binding> {
  binding ??= Promise.all([import('usb'), import('usb/index.js')]).then(
    ([{ usb }, native]) => ({
      getDevices: () => usb.getDevices() as unknown as Promise<NativeDevice[]>,
      newEmitter: () => new native.Emitter() as unknown as NativeEmitter,
    }),
    (err: unknown) => {
      binding = undefined; // the next attempt tries again (a package installed meanwhile)
      throw new Error(`USB support unavailable (the usb package did not load): ${message(err)}`);
    },
  );
  return binding;
}

export class WebUsbBus implements UsbBus {
  async list(): Promise<UsbDevice[]> {
    const { getDevices } = await load();
    try {
      return (await getDevices()).map((d) => new WebUsbDevice(d));
    } catch (err) {
      throw new Error(`cannot list USB devices: ${message(err)}`);
    }
  }

  async watch(listener: UsbBusListener): Promise<() => Promise<void>> {
    const { newEmitter } = await load();
    const emitter = newEmitter();
    let live = true;
    try {
      await emitter.addAttach((d) => live && listener.connect(new WebUsbDevice(d)));
      await emitter.addDetach((handle) => live && listener.disconnect(handle));
    } catch {
      await quietly(emitter.removeAttach());
      return this.poll(listener);
    }
    return async () => {
      live = false;
      await quietly(emitter.removeAttach());
      await quietly(emitter.removeDetach());
    };
  }

  /** Hot-plug by comparing device lists, for hosts where the kernel's events cannot be watched. */
  private async poll(listener: UsbBusListener): Promise<() => Promise<void>> {
    let known = new Map((await this.list()).map((d) => [d.key, d] as const));
    let live = true;
    let round: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      round = this.list().then(
        (devices) => {
          if (!live) return;
          const now = new Map(devices.map((d) => [d.key, d] as const));
          for (const key of known.keys()) if (!now.has(key)) listener.disconnect(key);
          for (const [key, device] of now) if (!known.has(key)) listener.connect(device);
          known = now;
        },
        () => {}, // a failed listing changes nothing; the next one may succeed
      );
    }, LIST_POLL_MS);
    return async () => {
      live = false;
      clearInterval(timer);
      await round;
    };
  }
}

class WebUsbDevice implements UsbDevice {
  readonly key: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string | undefined;
  private claimed: { interfaceNumber: number; endpoint: NativeEndpoint; detached: boolean } | undefined;
  private opened = false;
  private closed = false;
  private reading: Promise<Uint8Array> | undefined;

  constructor(private readonly native: NativeDevice) {
    this.key = native.handle;
    this.vendorId = native.vendorId;
    this.productId = native.productId;
    let serial: string | null = null;
    try {
      serial = native.serialNumber; // may open the device to read a string descriptor
    } catch {
      // no serial number readable: only a config without serialNumber matches it
    }
    this.serialNumber = serial ?? undefined;
  }

  async open(): Promise<void> {
    await this.native.open();
    this.opened = true;
  }

  async claim(interfaceNumber: number): Promise<void> {
    const iface = this.native.configuration?.interfaces.find((i) => i.interfaceNumber === interfaceNumber);
    if (!iface) throw new Error(`the device has no interface ${interfaceNumber}`);
    const endpoint = iface.alternate.endpoints.find((e) => e.direction === 'in' && e.type === 'interrupt');
    if (!endpoint) throw new Error(`interface ${interfaceNumber} has no interrupt IN endpoint`);
    let detached = false;
    try {
      await this.native.claimInterface(interfaceNumber);
    } catch (err) {
      // Linux binds its HID driver to the scanner; it must let go before we can claim it.
      if (process.platform !== 'linux') throw err;
      await this.native.detachKernelDriver(interfaceNumber);
      detached = true;
      await this.native.claimInterface(interfaceNumber);
    }
    this.claimed = { interfaceNumber, endpoint, detached };
  }

  readReport(): Promise<Uint8Array> {
    if (this.reading) return Promise.reject(new Error('readReport() called while another is pending'));
    this.reading = this.nextReport().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reading?.catch(() => {}); // ends within one TRANSFER_POLL_MS
    const claimed = this.claimed;
    this.claimed = undefined;
    if (claimed) {
      await quietly(this.native.releaseInterface(claimed.interfaceNumber));
      if (claimed.detached) await quietly(this.native.attachKernelDriver(claimed.interfaceNumber));
    }
    if (this.opened) await quietly(this.native.close());
  }

  /**
   * Interrupt transfers of one packet each: a HID report fits a packet, and asking for more
   * would join two reports that happen to fill whole packets.
   */
  private async nextReport(): Promise<Uint8Array> {
    for (;;) {
      const claimed = this.claimed;
      if (this.closed || !claimed) throw new Error('device closed');
      const { endpointNumber, packetSize } = claimed.endpoint;
      try {
        const report = await this.native.nativeTransferIn(endpointNumber, TRANSFER_POLL_MS, packetSize);
        if (this.closed) throw new Error('device closed');
        if (report && report.length > 0) return report;
      } catch (err) {
        // A transfer that timed out is cancelled: no report yet, ask again.
        if (this.closed || !/Cancelled/i.test(message(err))) throw err;
      }
    }
  }
}

async function quietly(done: Promise<unknown>): Promise<void> {
  try {
    await done;
  } catch {
    // closing what is already gone
  }
}
