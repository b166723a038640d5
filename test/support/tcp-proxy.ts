/**
 * A plain TCP proxy (node:net, no protocol parsing) between the daemon and a broker, for the fault
 * tests. It forwards bytes both ways until told otherwise:
 *
 * - `stall()` is a black hole, the network that stops delivering without saying so: on every open
 *   link the bytes from either side are read and dropped, and no socket is closed, not even when one
 *   side closes (its FIN is lost in the hole too). Only a keepalive can tell. A connection opened
 *   meanwhile is accepted but goes nowhere until `resume()`, its bytes kept, like a SYN retried
 *   until the path is back.
 * - `resume()` forwards again. A link that lost bytes cannot carry on (its byte stream has a hole),
 *   so it is reset on both sides; links that waited connect upstream and deliver what they kept.
 * - `holdNew()` / `releaseNew()` is a gate for new connections only (open links keep forwarding):
 *   a test uses it to keep the daemon away from a restarted broker until its own subscriber is back.
 * - `holdUpstream()` / `releaseUpstream()`: on the links open now, what the daemon sends waits in
 *   the proxy (a congested path) while what the broker sends still flows; if the link dies first,
 *   what waited is lost with it.
 *
 * A link whose upstream closes (a broker killed) is ended towards the daemon after the bytes already
 * received are written, so the daemon sees the close as promptly as it would without the proxy.
 *
 * `tap` sees the bytes that reached the broker ('up') and every byte the broker sent ('down', even
 * those a stall then drops), per link: a test can read the MQTT packets off it (mqtt-wire.ts).
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** mqtt://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  stall(): void;
  resume(): void;
  holdNew(): void;
  releaseNew(): void;
  holdUpstream(): void;
  releaseUpstream(): void;
  /** Connections accepted, ever. */
  readonly accepted: number;
  /** Connections accepted and waiting for resume() / releaseNew(). */
  readonly waiting: number;
  /** Bytes dropped by stalls, both directions. */
  readonly dropped: number;
  /** Links reset by resume() because a stall dropped some of their bytes. */
  readonly reset: number;
  close(): Promise<void>;
}

export type Tap = (direction: 'up' | 'down', chunk: Buffer, link: number) => void;

interface Link {
  readonly id: number;
  readonly client: Socket;
  upstream: Socket | undefined;
  /** Bytes from the client not forwarded yet: no upstream connection yet, or holdUpstream(). */
  readonly kept: Buffer[];
  /** A stall dropped bytes (or a close) of this link. */
  holed: boolean;
  /** What the daemon sends waits in `kept` (holdUpstream). */
  upHeld: boolean;
}

export async function startTcpProxy(
  targetPort: number,
  options: { host?: string; tap?: Tap } = {},
): Promise<TcpProxy> {
  const { host: targetHost = '127.0.0.1', tap } = options;
  const links = new Set<Link>();
  const waiting: Link[] = [];
  let stalled = false;
  let gated = false;
  let accepted = 0;
  let dropped = 0;
  let reset = 0;

  const forget = (link: Link) => {
    links.delete(link);
    const at = waiting.indexOf(link);
    if (at >= 0) waiting.splice(at, 1);
  };
  const destroy = (link: Link) => {
    forget(link);
    link.client.destroy();
    link.upstream?.destroy();
  };

  const forward = (link: Link, chunk: Buffer) => {
    tap?.('up', chunk, link.id);
    link.upstream!.write(chunk);
  };

  const join = (link: Link) => {
    const { client } = link;
    if (client.destroyed) return forget(link);
    const upstream = connect(targetPort, targetHost);
    link.upstream = upstream;
    upstream.setNoDelay(true);
    for (const chunk of link.kept.splice(0)) forward(link, chunk);
    upstream.on('data', (chunk: Buffer) => {
      tap?.('down', chunk, link.id);
      if (stalled) {
        link.holed = true;
        dropped += chunk.length;
        return;
      }
      client.write(chunk);
    });
    upstream.on('error', () => {});
    upstream.on('close', () => {
      if (stalled) {
        link.holed = true;
        return;
      }
      forget(link);
      client.end(); // after what was already written: the daemon reads it, then the close
    });
  };

  const server = createServer((client) => {
    accepted++;
    const link: Link = { id: accepted, client, upstream: undefined, kept: [], holed: false, upHeld: false };
    links.add(link);
    client.setNoDelay(true);
    client.on('error', () => {});
    client.on('data', (chunk: Buffer) => {
      if (!link.upstream || link.upHeld) {
        link.kept.push(chunk);
        return;
      }
      if (stalled) {
        link.holed = true;
        dropped += chunk.length;
        return;
      }
      forward(link, chunk);
    });
    client.on('close', () => {
      if (!link.upstream) return forget(link); // gave up while waiting
      if (stalled) {
        link.holed = true;
        return;
      }
      forget(link);
      link.upstream.end();
    });
    if (stalled || gated) waiting.push(link);
    else join(link);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const releaseWaiting = () => {
    if (stalled || gated) return;
    for (const link of waiting.splice(0)) join(link);
  };

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const link of [...links]) {
        if (!link.holed) continue;
        reset++;
        destroy(link);
      }
      releaseWaiting();
    },
    holdNew() {
      gated = true;
    },
    releaseNew() {
      gated = false;
      releaseWaiting();
    },
    holdUpstream() {
      for (const link of links) link.upHeld = true;
    },
    releaseUpstream() {
      for (const link of links) {
        if (!link.upHeld) continue;
        link.upHeld = false;
        if (link.upstream && !stalled) for (const chunk of link.kept.splice(0)) forward(link, chunk);
      }
    },
    get accepted() {
      return accepted;
    },
    get waiting() {
      return waiting.length;
    },
    get dropped() {
      return dropped;
    },
    get reset() {
      return reset;
    },
    async close() {
      stalled = false;
      gated = false;
      for (const link of [...links]) destroy(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
