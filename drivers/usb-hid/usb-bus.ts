/**
 * The USB seam of the HID POS driver: the whole of what it needs from the host's USB stack. The
 * real one (webusb-bus.ts) wraps the `usb` package; tests hand the driver a fake
 * (test/support/fake-usb-bus.ts). Promise-based; nothing here throws synchronously.
 */

/** A device on the bus, from the moment it is plugged in until it is unplugged. */
export interface UsbDevice {
  /**
   * Names this plugging of the device (bus and address): a `disconnect` carries it. The same
   * scanner plugged in again is a new device with a new key.
   */
  readonly key: string;
  readonly vendorId: number;
  readonly productId: number;
  /** The USB serial number string, when the device has one and it could be read. */
  readonly serialNumber: string | undefined;
  /** Opens the device. Rejects (permissions, device busy, device gone) with a reason to show. */
  open(): Promise<void>;
  /**
   * Claims an interface of the opened device for this process (taking it from the kernel's HID
   * driver where the platform requires). Rejects when it cannot.
   */
  claim(interfaceNumber: number): Promise<void>;
  /**
   * The next input report of the claimed interface: its bytes, report id first when the device
   * numbers its reports. One call at a time: reports are not read until asked for, so a caller
   * that waits holds the scanner back (it buffers, or stops scanning). Rejects when the device
   * is unplugged or fails, and when `close()` is called while it is pending: every rejection
   * means the device is lost to this opening.
   */
  readReport(): Promise<Uint8Array>;
  /**
   * Releases the interface and closes the device; a pending `readReport()` rejects. Never
   * rejects (a device already gone closes quietly); may be called twice. Resolves once no handle
   * and no transfer of this device remain.
   */
  close(): Promise<void>;
}

/**
 * Hot-plug news, in the order the bus saw it. A device may be both in `list()` and in a
 * `connect` (a plug during the listing): its key tells them apart.
 */
export interface UsbBusListener {
  connect(device: UsbDevice): void;
  /** `key` is the unplugged device's `UsbDevice.key`. */
  disconnect(key: string): void;
}

export interface UsbBus {
  /**
   * The devices present now. Rejects when the bus cannot be enumerated at all (no USB stack, the
   * native module missing, no permission to read the device list): the reason says which.
   */
  list(): Promise<UsbDevice[]>;
  /**
   * Reports `connect` and `disconnect` to `listener` from now until the returned function is
   * called (which resolves once nothing more will be reported). Rejects when hot-plug cannot be
   * watched; the caller then retries later. Devices connected before the call are in `list()`.
   */
  watch(listener: UsbBusListener): Promise<() => Promise<void>>;
}
