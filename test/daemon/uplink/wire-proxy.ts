/**
 * A TCP proxy between the uplink and a broker that reads the MQTT packets on the wire: it counts
 * QoS 1 PUBLISHes on one topic that have not seen their PUBACK yet (the broker's view of what the
 * client has outstanding), can withhold the broker's replies, and can cut the link like a dead
 * network.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { packetReader } from '../../support/mqtt-wire.js';

const PUBLISH = 3;
const PUBACK = 4;

export async function wireProxy(targetPort: number, topic: string) {
  const outstanding = new Set<number>();
  let maxOutstanding = 0;
  let published = 0;
  let holding = false;
  const heldBack: { socket: Socket; chunk: Buffer; parse: (chunk: Buffer) => void }[] = [];
  const links = new Set<Socket>();

  const server = createServer((client) => {
    const broker = connect(targetPort, '127.0.0.1');
    links.add(client);
    links.add(broker);
    const upstream = packetReader((type, flags, body) => {
      if (type !== PUBLISH || ((flags >> 1) & 3) !== 1) return;
      const topicLength = body.readUInt16BE(0);
      if (body.toString('utf8', 2, 2 + topicLength) !== topic) return;
      outstanding.add(body.readUInt16BE(2 + topicLength));
      published++;
      maxOutstanding = Math.max(maxOutstanding, outstanding.size);
    });
    const downstream = packetReader((type, _flags, body) => {
      if (type === PUBACK) outstanding.delete(body.readUInt16BE(0));
    });
    client.on('data', (chunk: Buffer) => {
      upstream(chunk);
      broker.write(chunk);
    });
    broker.on('data', (chunk: Buffer) => {
      if (holding) {
        heldBack.push({ socket: client, chunk, parse: downstream });
        return;
      }
      downstream(chunk);
      client.write(chunk);
    });
    const drop = () => {
      client.destroy();
      broker.destroy();
      links.delete(client);
      links.delete(broker);
      // Whatever was outstanding or held back on this link is gone with it.
      outstanding.clear();
      heldBack.length = 0;
      holding = false;
    };
    client.on('error', drop).on('close', drop);
    broker.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `mqtt://127.0.0.1:${port}`,
    /** QoS 1 publishes on `topic` sent and not yet acknowledged, now and at most. */
    get outstanding() {
      return outstanding.size;
    },
    get maxOutstanding() {
      return maxOutstanding;
    },
    get published() {
      return published;
    },
    /** Withholds everything the broker sends until release(). */
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const { socket, chunk, parse } of heldBack.splice(0)) {
        if (socket.destroyed) continue;
        parse(chunk); // the PUBACKs count as they finally reach the client
        socket.write(chunk);
      }
    },
    /** Destroys every open link at once, like a network that died. */
    cut() {
      holding = false;
      heldBack.length = 0;
      for (const socket of links) socket.destroy();
    },
    async close() {
      this.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
