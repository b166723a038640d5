/**
 * A process's peak RSS as the kernel counts it (VmHWM), reset at the start of a measured run so
 * that the start-up's peak is left out. Every side of the PTY bench is measured this way, without
 * sampling: a poll would cost the side it samples CPU the other side does not pay.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** From here on VmHWM is the peak of what follows (clear_refs 5, Linux >= 4.0). */
export function resetPeakRss(pid: number | 'self' = 'self'): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** VmHWM of process `pid`, MB. */
export function peakRssMb(pid: number | 'self' = 'self'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  const kb = Number(line?.split(/\s+/)[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return kb / 1024;
}
