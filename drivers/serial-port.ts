/**
 * Opening and closing the serial port of a reader, the same for every serial driver. The port's
 * default exclusive lock stays on: two programs driving one reader would split or fight over it.
 */
import { SerialPort } from 'serialport';

export interface PortSettings {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits?: 5 | 6 | 7 | 8;
  readonly parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  readonly stopBits?: 1 | 1.5 | 2;
}

/** Opens the port; rejects with the system's reason. `binding` replaces the real one (tests). */
export async function openPort(settings: PortSettings, binding?: unknown): Promise<SerialPort> {
  const port = new SerialPort({
    ...settings,
    autoOpen: false,
    ...(binding ? { binding: binding as never } : {}),
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

/** Closes a port whose late errors are no longer news. */
export function closeQuietly(port: SerialPort): Promise<void> {
  port.removeAllListeners();
  port.on('error', () => {});
  if (!port.isOpen) return Promise.resolve();
  return new Promise<void>((resolve) => port.close(() => resolve()));
}
