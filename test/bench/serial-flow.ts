/**
 * The comparison for the PTY bench: what a Node-RED flow "serial in -> function -> mqtt out" does
 * with each line, built from the libraries Node-RED's serial and MQTT nodes use (serialport with
 * a line parser, mqtt.js publishing at QoS 1). It is not Node-RED itself: no runtime, no editor,
 * no context store. Like the flow, it keeps nothing: no decoding, no smoothing, no EPCIS, nothing
 * on disk, and as many publishes in flight as lines arrive. Each line becomes a message object
 * passed from node to node on a later turn of the event loop (setImmediate, as Node-RED sends
 * between nodes); the function node's body runs in a vm context, as Node-RED's function node runs
 * its code, and only trims the payload. Timed like pty-lines.ts: first line written -> last PUBACK.
 */
import { createContext, Script } from 'node:vm';
import { ReadlineParser } from '@serialport/parser-readline';
import mqtt from 'mqtt';
import { SerialPort } from 'serialport';
import { cpuMark, measuredSince } from './cpu.js';
import { peakRssMb, resetPeakRss } from './peak-rss.js';
import { type PtyResult, until, withScannerLines } from './scanner-pty.js';

interface Message {
  _msgid: string;
  payload: string;
  topic?: string;
}

export async function benchSerialFlow(o: { url: string; lines: number }): Promise<PtyResult> {
  return withScannerLines(o.lines, async (readerPath, go) => {
    const client = mqtt.connect(o.url, { clientId: `rp-bench-flow-${process.pid}`, reconnectPeriod: 0 });
    // The uplink's and the raw ceiling's socket option, so Nagle does not slow the flow down.
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const port = new SerialPort({ path: readerPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    const lines = port.pipe(new ReadlineParser({ delimiter: '\r' }));
    const context = createContext({ msg: undefined as Message | undefined });
    const fn = new Script('msg = (function (msg) { msg.payload = msg.payload.trim(); return msg; })(msg);');
    try {
      let seen = 0;
      let acked = 0;
      resetPeakRss();
      const started = cpuMark();
      const done = new Promise<void>((resolve, reject) => {
        const mqttOut = (msg: Message) => {
          client.publish('readpoint/v1/bench/flow/lines', msg.payload, { qos: 1 }, (err) => {
            if (err) return reject(err);
            if (++acked === o.lines) resolve();
          });
        };
        const functionNode = (msg: Message) => {
          context.msg = msg;
          fn.runInContext(context);
          const out = context.msg as Message;
          setImmediate(mqttOut, out);
        };
        lines.on('data', (line: string) => {
          seen++;
          if (seen > o.lines) return reject(new Error(`more lines than the ${o.lines} written`));
          setImmediate(functionNode, { _msgid: String(seen), payload: line });
        });
      });
      go();
      let finished = false;
      await Promise.race([
        done.finally(() => {
          finished = true;
        }),
        until(
          () => finished,
          () => acked,
          () => `the flow stuck at ${acked} PUBACKs of ${o.lines} (${seen} lines read)`,
          100,
        ),
      ]);
      const measured = measuredSince(started, o.lines);
      return { ...measured, lines: o.lines, rssMb: peakRssMb() };
    } finally {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    }
  });
}
