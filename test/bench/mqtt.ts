/**
 * The ceiling for the gateway's event rate: raw mqtt.js QoS 1 publishes of ~700-byte payloads
 * (the size of one EPCIS ObjectEvent) with at most `window` awaiting PUBACK, timed from the first
 * publish to the last PUBACK, with the CPU time it took. No outbox, no encoding: just the client, the socket and the broker.
 * With `payloads`, publish i sends payloads[i % length] (real events) instead of a padded one.
 */
import mqtt from 'mqtt';
import { type CpuMark, cpuMark, type RunMeasured, runMeasuredSince, warmUpEvents } from './cpu.js';
import { conveyorEvents } from './path.js';

/** The ceiling in a process of its own (phase.ts): `events` real events cycled, else padded ones. */
export function rawMqttPhase(o: {
  url: string;
  n: number;
  window: number;
  events?: number;
}): Promise<RunMeasured> {
  return benchRawMqtt(o.url, o.n, o.window, o.events ? conveyorEvents(o.events) : undefined);
}

export async function benchRawMqtt(
  url: string,
  n: number,
  window: number,
  payloads?: readonly string[],
): Promise<RunMeasured> {
  const client = mqtt.connect(url, {
    clientId: `rp-bench-raw-${process.pid}`,
    reconnectPeriod: 0,
    clean: true,
  });
  // The same socket option the uplink sets, so the ceiling is not lowered by Nagle stalls.
  (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const topic = 'readpoint/v1/bench/raw/events/line-1';
  const payload = payloads
    ? (i: number) => payloads[i % payloads.length]!
    : (i: number) => `{"rp:sequence":${i},"pad":"${'x'.repeat(660)}"}`;
  try {
    const started = cpuMark();
    // Marked in the PUBACK callback that completes the warm-up share, as the gateway marks its own.
    const warmEvents = warmUpEvents(n);
    let warm: CpuMark = started;
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let acked = 0;
      const send = () => {
        while (sent < n && sent - acked < window) {
          sent++;
          client.publish(topic, payload(sent), { qos: 1 }, (err) => {
            if (err) return reject(err);
            acked++;
            if (acked === warmEvents) warm = cpuMark();
            if (acked === n) resolve();
            // Refill after mqtt.js has handled this PUBACK, not from inside its handler: sending
            // from within the handler costs about a third of the rate (measured).
            else queueMicrotask(send);
          });
        }
      };
      send();
    });
    return runMeasuredSince(started, warm, warmEvents, n);
  } finally {
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  }
}
