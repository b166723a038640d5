/**
 * Connections to the embedded broker are bounded so a flood of sockets cannot use up the
 * process's file descriptors (which would lock out readers, the uplink and /metrics alike):
 *
 * - at most `maxConnections` in all: the listener's own `maxConnections` closes one more at
 *   accept (its 'drop' event counts it);
 * - of those, at most `maxPendingConnections` that have not logged in yet, and at most
 *   `maxPendingPerAddress` from one address: sockets that never log in cannot take the slots
 *   logged-in readers and consumers hold, nor those a reconnecting reader needs, unless they come
 *   from many addresses at once;
 * - a socket that has not logged in within the connect timeout is closed by aedes.
 */
import type { Server, Socket } from 'node:net';

export interface ConnectionCapLimits {
  readonly maxConnections: number;
  readonly maxPendingConnections: number;
  readonly maxPendingPerAddress: number;
}

/** Why a socket was closed at accept (health's `refused` keys). */
export type ConnectionRefusal = 'connections' | 'pending-connections';

export class ConnectionCap {
  private readonly pending = new Map<Socket, string>();
  private readonly pendingByAddress = new Map<string, number>();

  constructor(private readonly limits: ConnectionCapLimits) {}

  /** Lets the listener close sockets beyond the total at accept; `refused` hears of each. */
  install(server: Server, refused: (address: string | undefined) => void): void {
    server.maxConnections = this.limits.maxConnections;
    server.on('drop', (data) => refused(data?.remoteAddress));
  }

  /** A socket just accepted: undefined if it may stay (it is then pending until `loggedIn`). */
  admit(socket: Socket): ConnectionRefusal | undefined {
    const address = socket.remoteAddress ?? 'unknown';
    if (this.pending.size >= this.limits.maxPendingConnections) return 'pending-connections';
    const fromAddress = this.pendingByAddress.get(address) ?? 0;
    if (fromAddress >= this.limits.maxPendingPerAddress) return 'pending-connections';
    this.pending.set(socket, address);
    this.pendingByAddress.set(address, fromAddress + 1);
    socket.once('close', () => this.settled(socket));
    return undefined;
  }

  /** The socket's client logged in: it no longer counts as pending. */
  loggedIn(socket: Socket): void {
    this.settled(socket);
  }

  private settled(socket: Socket): void {
    const address = this.pending.get(socket);
    if (address === undefined) return;
    this.pending.delete(socket);
    const left = (this.pendingByAddress.get(address) ?? 1) - 1;
    if (left > 0) this.pendingByAddress.set(address, left);
    else this.pendingByAddress.delete(address);
  }
}
