/**
 * `readpoint ports`: the serial ports and USB devices a technician can wire a reader to.
 * Works without udevadm (SerialPort.list() needs it): then it reads /dev/serial/by-id and sysfs.
 */
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { SerialPort } from 'serialport';

export interface SerialPortInfo {
  path: string;
  byId?: string;
  vidPid?: string;
  serialNumber?: string;
  description?: string;
}

export interface UsbDeviceInfo {
  bus: number;
  address: number;
  vidPid: string;
  serialNumber?: string;
  description?: string;
}

const BY_ID = '/dev/serial/by-id';

async function byIdLinks(): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  for (const name of await readdir(BY_ID).catch(() => [] as string[])) {
    const link = join(BY_ID, name);
    const target = await readlink(link).catch(() => undefined);
    if (target) links.set(resolve(BY_ID, target), link);
  }
  return links;
}

const attr = (dir: string, name: string) =>
  readFile(join(dir, name), 'utf8').then(
    (s) => s.trim(),
    () => undefined,
  );

/** Walks up from a tty's sysfs device to the USB device that holds idVendor/idProduct. */
async function usbAttributes(tty: string): Promise<Partial<SerialPortInfo>> {
  let dir = await realpath(`/sys/class/tty/${tty}/device`).catch(() => undefined);
  while (dir && dir !== '/sys' && dir !== '/') {
    const vid = await attr(dir, 'idVendor');
    if (vid) {
      const pid = await attr(dir, 'idProduct');
      const serialNumber = await attr(dir, 'serial');
      const description = [await attr(dir, 'manufacturer'), await attr(dir, 'product')]
        .filter(Boolean)
        .join(' ');
      return {
        vidPid: `${vid}:${pid ?? '????'}`,
        ...(serialNumber ? { serialNumber } : {}),
        ...(description ? { description } : {}),
      };
    }
    dir = join(dir, '..');
  }
  return {};
}

export async function listSerialPorts(): Promise<{ ports: SerialPortInfo[]; note?: string }> {
  const links = await byIdLinks();
  let note: string | undefined;
  let paths: string[];
  try {
    paths = (await SerialPort.list()).map((p) => p.path);
  } catch (err) {
    note = `udev not available (${(err as Error).message}); listed from /dev and sysfs`;
    const dev = await readdir('/dev').catch(() => [] as string[]);
    paths = dev.filter((n) => /^tty(USB|ACM|AMA|XRUSB)\d+$/.test(n)).map((n) => `/dev/${n}`);
  }
  for (const target of links.keys()) if (!paths.includes(target)) paths.push(target);
  const ports = await Promise.all(
    paths.sort().map(async (path) => {
      const byId = links.get(path);
      return { path, ...(byId ? { byId } : {}), ...(await usbAttributes(basename(path))) };
    }),
  );
  return { ports, ...(note ? { note } : {}) };
}

export async function listUsbDevices(): Promise<UsbDeviceInfo[]> {
  const root = '/sys/bus/usb/devices';
  const devices: UsbDeviceInfo[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (name.includes(':')) continue; // interfaces, not devices
    const dir = join(root, name);
    const vid = await attr(dir, 'idVendor');
    if (!vid) continue;
    const serialNumber = await attr(dir, 'serial');
    const description = [await attr(dir, 'manufacturer'), await attr(dir, 'product')]
      .filter(Boolean)
      .join(' ');
    devices.push({
      bus: Number(await attr(dir, 'busnum')),
      address: Number(await attr(dir, 'devnum')),
      vidPid: `${vid}:${(await attr(dir, 'idProduct')) ?? '????'}`,
      ...(serialNumber ? { serialNumber } : {}),
      ...(description ? { description } : {}),
    });
  }
  return devices.sort((a, b) => a.bus - b.bus || a.address - b.address);
}

export async function portsCommand(json: boolean): Promise<number> {
  const [{ ports, note }, usb] = await Promise.all([listSerialPorts(), listUsbDevices()]);
  if (json) {
    process.stdout.write(`${JSON.stringify({ serial: ports, usb, ...(note ? { note } : {}) })}\n`);
    return 0;
  }
  const out: string[] = ['Serial ports:'];
  if (ports.length === 0) out.push('  (none found: is the reader plugged in? see dmesg)');
  for (const p of ports) {
    out.push(
      `  ${p.path}  ${p.vidPid ?? ''}  ${p.serialNumber ? `serial ${p.serialNumber}` : ''}  ${p.description ?? ''}`.trimEnd(),
    );
    if (p.byId) out.push(`    use in config: path: ${p.byId}`);
  }
  out.push('USB devices:');
  if (usb.length === 0) out.push('  (none found)');
  for (const d of usb) {
    out.push(
      `  bus ${d.bus} addr ${d.address}  ${d.vidPid}  ${d.serialNumber ? `serial ${d.serialNumber}` : ''}  ${d.description ?? ''}`.trimEnd(),
    );
  }
  if (note) out.push(`note: ${note}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
