/**
 * Whether a host name or address stays on this machine: 127.0.0.0/8, ::1 (also as
 * ::ffff:127.x.y.z), `localhost` and names under it. A broker listening there needs no login, a
 * plain-text login sent there crosses no network, metrics served there need no firewall.
 */
import { isIP } from 'node:net';

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || /^::ffff:127\./.test(h);
}
