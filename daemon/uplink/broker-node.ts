/**
 * Which node of a clustered broker the uplink tries next. Each attempt goes to the next node in
 * the order of uplink.url; a connection that holds stays on its node until it is lost, and the
 * attempt after a loss goes to the node after it (a node that dropped the gateway is the least
 * likely to take it back at once). With one URL this is that URL, every time.
 *
 * The first attempt goes to a node derived from the client id (firstNode()): a fleet configured
 * with one list spreads over the nodes instead of piling onto the first, and each gateway starts
 * on the same node at every start, so its place in the cluster does not move with restarts.
 */
import { redactUrl } from './redact.js';

/**
 * The node a gateway starts on: a hash (32-bit FNV-1a over the UTF-8 bytes) of its client id,
 * modulo the number of nodes. Stable for one id, spread evenly over many.
 */
export function firstNode(clientId: string, count: number): number {
  if (!(count >= 1)) throw new TypeError(`no broker nodes to start on (${count})`);
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(clientId, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % count;
}

export class BrokerNodes {
  private cursor: number;
  private tried: number;
  private on: number | undefined;
  private moves = 0;

  /** `start`: the node of the first attempt (see firstNode()). */
  constructor(
    private readonly urls: readonly string[],
    start = 0,
  ) {
    if (urls.length === 0) throw new TypeError('no broker URL');
    if (!Number.isInteger(start) || start < 0 || start >= urls.length)
      throw new TypeError(`no node ${start} among ${urls.length}`);
    this.cursor = start;
    this.tried = start;
  }

  get count(): number {
    return this.urls.length;
  }

  /** The node the next attempt goes to (the probe's target). */
  get upcoming(): number {
    return this.cursor;
  }

  /** The node of the current or last attempt. */
  get index(): number {
    return this.tried;
  }

  /** Times a connection was made to another node than the one before. */
  get switches(): number {
    return this.moves;
  }

  url(index = this.tried): string {
    return this.urls[index] as string;
  }

  /** host:port of a node, free of secrets, for logs and health. */
  shown(index = this.tried): string {
    return redactUrl(this.url(index));
  }

  /** Takes the next node for an attempt and moves the cursor past it. */
  take(): number {
    this.tried = this.cursor;
    this.cursor = (this.cursor + 1) % this.urls.length;
    return this.tried;
  }

  /** Skips the upcoming node (a probe found it unreachable). */
  skip(): void {
    this.cursor = (this.cursor + 1) % this.urls.length;
  }

  /** The attempt connected: true when this is another node than the last connection's. */
  connected(): boolean {
    const switched = this.on !== undefined && this.on !== this.tried;
    if (switched) this.moves++;
    this.on = this.tried;
    return switched;
  }

  /** The node before the current one, for the switch's log line. */
  get previous(): number | undefined {
    return this.on;
  }
}
