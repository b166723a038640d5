/**
 * `readpoint ports`: the serial ports and USB devices a technician can wire a reader to, each
 * with the lines of config that name it. Read from sysfs and /dev (ports-sysfs.ts): works
 * without udev and never fails; a system without ports or USB gets told what to check.
 */
import { SYSTEM_ROOTS } from '../../drivers/usb-serial-path.js';
import { listTtys, listUsb, type SysRoots, type UsbIds } from './ports-sysfs.js';

export interface SerialPortInfo {
  /** The device node, e.g. `/dev/ttyUSB0`. */
  path: string;
  /** Its stable `/dev/serial/by-id/...` link, when udev made one. */
  byId?: string;
  /** `0403:6001`, for a USB-serial adapter or a CDC-ACM device. */
  vidPid?: string;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  /** The kernel driver: ftdi_sio, cp210x, ch341, pl2303, cdc_acm, serial... */
  driver?: string;
  /** The reader config that names this port (YAML): `path: ...` or `usb: { ... }`. */
  config: string;
}

export interface UsbDeviceInfo {
  bus: number;
  address: number;
  vidPid: string;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  /** Interface numbers of its HID functions (class 03): a `usb-hid` reader may fit. */
  hidInterfaces: number[];
  /** One of them is a boot keyboard: a scanner in keyboard mode, to be set to HID POS mode. */
  keyboard: boolean;
  /** The serial ports it provides (a USB-serial adapter, a CDC-ACM scanner). */
  ttys: string[];
  /** The reader config that names it, when a driver fits (YAML, one key per line for usb-hid). */
  config?: string;
}

export interface PortsListing {
  serial: SerialPortInfo[];
  usb: UsbDeviceInfo[];
  /** What could not be looked at, and what to check when nothing was found. */
  notes: string[];
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const vidPid = (u: UsbIds) => `${hex4(u.vendorId)}:${hex4(u.productId)}`;
const ids = (u: UsbIds) =>
  `vendorId: 0x${hex4(u.vendorId)}, productId: 0x${hex4(u.productId)}${u.serialNumber ? `, serialNumber: ${JSON.stringify(u.serialNumber)}` : ''}`;

/** The keys of a `usb-hid` reader, one per line (they sit beside its id and readPoint). */
function hidConfig(u: UsbIds, iface: number): string {
  return [
    'driver: usb-hid',
    `vendorId: 0x${hex4(u.vendorId)}`,
    `productId: 0x${hex4(u.productId)}`,
    ...(u.serialNumber ? [`serialNumber: ${JSON.stringify(u.serialNumber)}`] : []),
    ...(iface !== 0 ? [`interface: ${iface}`] : []),
  ].join('\n');
}

/** `config: first line`, the others aligned under it. */
const configLines = (config: string) =>
  config.split('\n').map((l, i) => (i === 0 ? `config: ${l}` : `${' '.repeat(8)}${l}`));

export const NO_SERIAL =
  'No serial ports found. Check the cable and the reader\'s power; run "dmesg | tail" right after plugging it in (it names the new ttyUSB/ttyACM device).';
export const NO_USB =
  'No USB devices found (hubs are not listed). Check the cable; "dmesg | tail" shows what the kernel saw.';
export const NO_USB_BUS =
  'This system shows no USB bus (/sys/bus/usb is missing): a container or a VM without USB passed through?';
export const DIALOUT =
  'To open a port the daemon\'s user must be in the dialout group ("id readpoint" shows it; "usermod -aG dialout readpoint").';

/** Every serial port and USB device under `roots` (default: this system's /sys and /dev). */
export async function listPorts(roots: SysRoots = SYSTEM_ROOTS): Promise<PortsListing> {
  const [ttys, usb] = await Promise.all([listTtys(roots), listUsb(roots)]);
  const serial: SerialPortInfo[] = ttys.map((t) => ({
    path: t.path,
    ...(t.byId ? { byId: t.byId } : {}),
    ...(t.usb ? { vidPid: vidPid(t.usb) } : {}),
    ...(t.usb?.serialNumber ? { serialNumber: t.usb.serialNumber } : {}),
    ...(t.usb?.manufacturer ? { manufacturer: t.usb.manufacturer } : {}),
    ...(t.usb?.product ? { product: t.usb.product } : {}),
    ...(t.driver ? { driver: t.driver } : {}),
    config: t.byId ? `path: ${t.byId}` : t.usb ? `usb: { ${ids(t.usb)} }` : `path: ${t.path}`,
  }));
  const devices: UsbDeviceInfo[] = (usb ?? []).map((d) => {
    const own = ttys.filter((t) => t.usb?.name === d.name).map((t) => t.path);
    const iface = d.hidInterfaces[0] ?? 0;
    const config =
      own.length > 0 ? `usb: { ${ids(d)} }` : d.hidInterfaces.length > 0 ? hidConfig(d, iface) : undefined;
    return {
      bus: d.bus,
      address: d.address,
      vidPid: vidPid(d),
      ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
      ...(d.manufacturer ? { manufacturer: d.manufacturer } : {}),
      ...(d.product ? { product: d.product } : {}),
      hidInterfaces: [...d.hidInterfaces],
      keyboard: d.keyboard,
      ttys: own,
      ...(config ? { config } : {}),
    };
  });
  const notes = [
    ...(serial.length === 0 ? [NO_SERIAL, DIALOUT] : []),
    ...(usb === undefined ? [NO_USB_BUS] : devices.length === 0 ? [NO_USB] : []),
  ];
  return { serial, usb: devices, notes };
}

function table(header: string[], rows: { cells: string[]; more: string[] }[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  return [line(header), ...rows.flatMap((r) => [line(r.cells), ...r.more.map((m) => `      ${m}`)])];
}

const made = (d: { manufacturer?: string; product?: string }) =>
  [d.manufacturer, d.product].filter(Boolean).join(' ') || '-';

function kind(d: UsbDeviceInfo): string {
  if (d.ttys.length > 0) return `serial (${d.ttys.map((t) => t.replace(/^.*\//, '')).join(', ')})`;
  if (d.hidInterfaces.length > 0)
    return `HID${d.keyboard ? ' keyboard' : ''} (interface ${d.hidInterfaces.join(', ')})`;
  return 'other';
}

/** The listing as a technician reads it: two tables, each row followed by its config line. */
export function formatPorts(listing: PortsListing): string {
  const out: string[] = [`Serial ports (${listing.serial.length}):`];
  if (listing.serial.length > 0)
    out.push(
      ...table(
        ['PATH', 'VID:PID', 'SERIAL', 'DRIVER', 'DEVICE'],
        listing.serial.map((p) => ({
          cells: [p.path, p.vidPid ?? '-', p.serialNumber ?? '-', p.driver ?? '-', made(p)],
          more: configLines(p.config),
        })),
      ),
    );
  out.push('', `USB devices (${listing.usb.length}):`);
  if (listing.usb.length > 0)
    out.push(
      ...table(
        ['BUS:ADDR', 'VID:PID', 'SERIAL', 'KIND', 'DEVICE'],
        listing.usb.map((d) => ({
          cells: [
            `${String(d.bus).padStart(3, '0')}:${String(d.address).padStart(3, '0')}`,
            d.vidPid,
            d.serialNumber ?? '-',
            kind(d),
            made(d),
          ],
          more: [
            ...(d.config ? configLines(d.config) : []),
            ...(d.keyboard
              ? ['keyboard mode: set the scanner to USB HID POS mode (see its manual) for the usb-hid driver']
              : []),
          ],
        })),
      ),
    );
  if (listing.notes.length > 0) out.push('', ...listing.notes);
  return `${out.join('\n')}\n`;
}

/** Prints the listing (a table, or one JSON object with `json`); exit code 0. */
export async function portsCommand(json: boolean, roots: SysRoots = SYSTEM_ROOTS): Promise<number> {
  const listing = await listPorts(roots);
  process.stdout.write(json ? `${JSON.stringify(listing)}\n` : formatPorts(listing));
  return 0;
}
