/**
 * A QoS 1 subscriber for integration tests: records every message it receives, in arrival order,
 * and reconnects (and resubscribes) by itself when the broker goes away and comes back.
 *
 * For mqtt:// it reads the socket eagerly into its own stream and ends that stream instead of
 * destroying it when the broker dies. A SIGKILLed broker resets the connection (RST); a plain
 * socket would then be destroyed with bytes still buffered ahead of mqtt.js's parser, and the
 * collector would miss messages that had reached it, which a test would blame on the sender.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, MqttClient } from 'mqtt';

export interface CollectedMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** The QoS the broker delivered it with (at most the subscription's 1). */
  qos: number;
}

export interface Collector {
  messages: CollectedMessage[];
  /** Resolves once at least `count` messages arrived; rejects after timeoutMs saying how many did. */
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
  /** Times the subscription was (re)established; a test can wait for a resubscribe with it. */
  readonly subscribed: number;
}

/** A TCP connection whose received bytes all reach the reader, even after a reset. */
function lossless(host: string, port: number): Duplex {
  const socket = tcpConnect(port, host);
  const stream = new Duplex({
    read() {},
    write(chunk, _encoding, done) {
      // Writes to a dead broker are moot; failing them would destroy what is still unread.
      if (socket.destroyed) done();
      else socket.write(chunk, () => done());
    },
    final(done) {
      socket.end();
      done();
    },
    destroy(err, done) {
      socket.destroy();
      done(err);
    },
  });
  socket.on('data', (chunk) => stream.push(chunk));
  socket.on('error', () => {});
  socket.on('close', () => stream.push(null));
  stream.on('end', () => stream.destroy());
  return stream;
}

export async function collect(
  url: string,
  filter: string,
  auth: { username?: string; password?: string; ca?: Buffer } = {},
): Promise<Collector> {
  const messages: CollectedMessage[] = [];
  const waiters = new Set<() => void>();
  let subscribed = 0;
  const options: IClientOptions = {
    clientId: `rp-collector-${randomBytes(4).toString('hex')}`,
    clean: true,
    reconnectPeriod: 100,
    resubscribe: false, // done below on every connect
    connectTimeout: 5000,
    ...auth,
  };
  const parsed = new URL(url);
  const client =
    parsed.protocol === 'mqtt:'
      ? new MqttClient(() => lossless(parsed.hostname, Number(parsed.port || 1883)), options)
      : mqtt.connect(url, options);
  client.on('error', () => {}); // reconnects by itself; errors surface as a waitFor timeout
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, retain: packet.retain, qos: packet.qos });
    for (const w of waiters) w();
  });
  // Subscribe on every connect: a broker restarted without persistence has forgotten us.
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`collector: no subscription on ${url} within 10 s`)),
      10_000,
    );
    client.on('connect', () => {
      client.subscribe(filter, { qos: 1 }, (err, granted) => {
        if (err || granted?.[0]?.qos !== 1) return;
        subscribed++;
        clearTimeout(timer);
        resolve();
      });
    });
  });
  try {
    await ready;
  } catch (err) {
    client.end(true);
    throw err;
  }

  return {
    messages,
    get subscribed() {
      return subscribed;
    },
    waitFor(count, timeoutMs) {
      if (messages.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `collector: ${messages.length} of ${count} messages on ${filter} within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => client.end(!client.connected, {}, () => resolve())),
  };
}
