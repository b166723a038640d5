/**
 * The worker thread of the threaded uplink (threaded-uplink.ts): an MqttUplink, driven by
 * messages. Its log lines go to the main thread as JSON, to be written there by the daemon's
 * logger, so they read exactly as the main-thread uplink's would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { MqttUplink } from './mqtt-uplink.js';
import type { FromThread, ThreadData, ToThread } from './thread-messages.js';
import type { InboundSink } from './uplink.js';

const port = parentPort;
if (!port) throw new Error('uplink-thread.js runs as a worker thread of the threaded uplink');
const send = (message: FromThread) => port.postMessage(message);
const data = workerData as ThreadData;

// Every line goes over (they are few); the daemon's logger keeps those of its level, which a
// reload may change.
const log = pino(
  { level: 'trace', base: null, timestamp: false },
  { write: (line: string) => send({ t: 'log', line }) },
);
const uplink = new MqttUplink(data.options, log);

let acks: number[] = [];
let fails: (number | string)[] = [];
let flushing = false;

function flush(down = false): void {
  flushing = false;
  if (acks.length === 0 && fails.length === 0 && !down) return;
  const rttMs = uplink.status().rttMs;
  send({ t: 'settled', acks, fails, down, ...(rttMs !== undefined ? { rttMs } : {}) });
  acks = [];
  fails = [];
}

function settle(): void {
  if (flushing) return;
  flushing = true;
  setImmediate(flush);
}

function publish(seq: number, topic: string, payload: string | Uint8Array): void {
  const bytes =
    typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  uplink.send(topic, bytes, (err) => {
    if (err) fails.push(seq, err.name, err.message);
    else acks.push(seq);
    settle();
  });
}

// Copied out of mqtt.js's buffers: a message crosses to the main thread as its own bytes.
const inbound: InboundSink = {
  message: (m) =>
    send({
      t: 'inbound',
      topic: m.topic,
      payload: new Uint8Array(m.payload),
      retain: m.retain,
      ...(m.responseTopic !== undefined ? { responseTopic: m.responseTopic } : {}),
      ...(m.correlationData !== undefined ? { correlationData: new Uint8Array(m.correlationData) } : {}),
    }),
  tooLarge: (topic, bytes) => send({ t: 'tooLarge', topic, bytes }),
};

uplink.on('state', (status) => send({ t: 'state', status }));
uplink.on('up', () => send({ t: 'up' }));
// The connection's pending publishes were rejected just before `down`: they travel together, so
// the main thread too emits `down` with nothing in flight, before the callers hear of their
// rejections.
uplink.on('down', () => queueMicrotask(() => flush(true)));

port.on('message', (message: ToThread) => {
  switch (message.t) {
    case 'start':
      uplink.start().then(
        () => send({ t: 'started' }),
        (err: Error) => send({ t: 'started', error: err.message }),
      );
      return;
    case 'publish':
      for (let i = 0; i < message.seqs.length; i++)
        publish(message.seqs[i]!, message.topics[i]!, message.payloads[i]!);
      return;
    case 'status': {
      const { payload } = message;
      uplink.publishStatus(
        message.topic,
        typeof payload === 'string' ? payload : Buffer.from(payload),
        message.retain,
      );
      return;
    }
    case 'listen':
      uplink.listen(message.subscriptions, inbound);
      return;
    case 'reply':
      uplink.reply(
        message.topic,
        message.payload,
        message.correlationData ? Buffer.from(message.correlationData) : undefined,
      );
      return;
    case 'stop':
      uplink.stop().then(() => {
        flush();
        send({ t: 'stopped' });
        port.close();
      });
      return;
  }
});
