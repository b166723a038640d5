/**
 * A TCP gate in front of a broker for the outbox fault tests: it refuses every connection until
 * `open()`, then forwards bytes both ways. The daemon's uplink goes through it; the tests' own
 * subscribers talk to the broker directly, so they never miss what the daemon sends.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface BrokerGate {
  /** mqtt://127.0.0.1:PORT */
  readonly url: string;
  open(): void;
  close(): Promise<void>;
}

export async function startBrokerGate(targetPort: number): Promise<BrokerGate> {
  let opened = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (!opened) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    open: () => {
      opened = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
