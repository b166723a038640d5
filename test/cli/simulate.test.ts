/**
 * `readpoint simulate` as a technician runs it (the built CLI, a child process) on real PTYs made
 * by socat: the scanner's exact frames at the far end, the same units as the in-process
 * simulator, the whole path through the daemon and Mosquitto with `--pty`, and RFID modules that
 * the real ThingMagic and R2000 drivers read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { decodeRead, decodeText } from '../../daemon/identity/decode.js';
import { silentLogger } from '../../daemon/log.js';
import { R2000Driver } from '../../drivers/r2000/driver.js';
import { unit } from '../../drivers/simulated-units.js';
import { SimulatorDriver } from '../../drivers/simulator.js';
import { ThingMagicDriver } from '../../drivers/thingmagic/driver.js';
import { RecordingSink } from '../drivers/driver.contract.js';
import { simulatorConfig } from '../drivers/fixtures.js';
import { r2000Config } from '../drivers/r2000/fixtures.js';
import { thingMagicConfig } from '../drivers/thingmagic/helpers.js';
import { cliPath, startDaemon } from '../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { collect } from '../support/mqtt-collector.js';
import { openPtyDevice } from '../support/pty-device.js';

interface Cli {
  readonly child: ChildProcess;
  readonly out: string[];
  readonly err: string[];
  /** Resolves with the first line (of stdout or stderr) that matches; rejects on timeout or exit. */
  line(match: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<number | string>;
}

const children: ChildProcess[] = [];
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): Cli {
  const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out: string[] = [];
  const err: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const feed = (into: string[]) => (text: string) => {
    into.push(text);
    for (const l of listeners) l(text);
  };
  createInterface({ input: child.stdout! }).on('line', feed(out));
  createInterface({ input: child.stderr! }).on('line', feed(err));
  const exited = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    out,
    err,
    exited,
    line(match, timeoutMs = 20_000) {
      const seen = [...out, ...err].find((l) => match.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const done = (error?: Error, line?: string) => {
          clearTimeout(timer);
          listeners.delete(listener);
          if (error) reject(error);
          else resolve(line!);
        };
        const listener = (line: string) => {
          if (match.test(line)) done(undefined, line);
        };
        const timer = setTimeout(
          () => done(new Error(`no line matching ${match} in ${timeoutMs} ms; stderr:\n${err.join('\n')}`)),
          timeoutMs,
        );
        listeners.add(listener);
        exited.then((code) =>
          done(new Error(`exited (${code}) before a line matching ${match}; stderr:\n${err.join('\n')}`)),
        );
      });
    },
  };
}

/** A printed read: `<time>  read <n>  unit <u>  <kind>  <escaped bytes>`. */
interface PrintedRead {
  read: number;
  unit: number;
  kind: string;
  escaped: string;
}
const READ_LINE =
  /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}read (\d+) {2}unit (\d+) {2}(label|link|epc|garbage) {2}(.*)$/;
const printedReads = (lines: string[]): PrintedRead[] =>
  lines.map((l) => {
    const m = READ_LINE.exec(l);
    if (!m) throw new Error(`not a read line: ${l}`);
    return { read: Number(m[1]), unit: Number(m[2]), kind: m[3]!, escaped: m[4]! };
  });
const bytesOf = (text: string) =>
  Buffer.from(
    text.replace(/\\x([0-9a-f]{2})|\\\\/g, (_m, hex?: string) =>
      hex ? String.fromCharCode(Number.parseInt(hex, 16)) : '\\',
    ),
    'latin1',
  );
const serialOf = (n: number) => `SN${(n + 1).toString(36).toUpperCase().padStart(8, '0')}`;
const gtinOf = (n: number) => unit(n, false).data.toString('latin1').slice(5, 19);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-simulate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the reader's end of a fresh PTY pair; resolves the bytes once `frames` delimiters arrived. */
async function farEnd(name: string, delimiter: string, frames: number) {
  const pty = await openPtyDevice(dir, name);
  cleanup.push(() => pty.close());
  const port = new SerialPort({ path: pty.readerPath, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  cleanup.push(() => new Promise((r) => (port.isOpen ? port.close(r) : r(undefined))));
  let bytes = Buffer.alloc(0);
  const received = new Promise<Buffer>((resolve) => {
    port.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (bytes.toString('latin1').split(delimiter).length - 1 >= frames) resolve(bytes);
    });
  });
  return { pty, received };
}

describe('readpoint simulate --protocol line', () => {
  it('sends the exact frames it prints, each decoding to its unit, CR-terminated', async () => {
    const { pty, received } = await farEnd('scanner', '\r', 20);
    const sim = startCli([
      'simulate',
      '--device',
      pty.devicePath,
      '--count',
      '20',
      '--seed',
      '1',
      '--rate',
      '100',
    ]);
    const bytes = await received;
    expect(await sim.exited).toBe(0);
    const reads = printedReads(sim.out);
    expect(reads.map((r) => r.read)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const frames = bytes.toString('latin1').split('\r');
    expect(frames.pop()).toBe('');
    expect(frames).toHaveLength(20);
    expect(bytes.includes('\n')).toBe(false);
    // Units pass one after another, each read 3 times (--repeats default).
    expect(reads.map((r) => r.unit)).toEqual(Array.from({ length: 20 }, (_, i) => Math.floor(i / 3)));
    expect(new Set(reads.map((r) => r.kind))).toEqual(new Set(['label', 'link', 'epc', 'garbage']));
    let garbage = 0;
    reads.forEach((r, i) => {
      expect(Buffer.from(frames[i]!, 'latin1').equals(bytesOf(r.escaped))).toBe(true);
      const decoded = decodeText(r.escaped);
      if (r.kind === 'garbage') {
        garbage++;
        expect(decoded.ok).toBe(false);
        return;
      }
      if (!decoded.ok) throw new Error(`read ${r.read} did not decode: ${decoded.reject.message}`);
      if (r.kind === 'label') expect(frames[i]).toBe(unit(r.unit, false).data.toString('latin1'));
      if (r.kind === 'link') expect(frames[i]).toMatch(/^\]Q1https:\/\/id\.gs1\.org\/01\//);
      if (r.kind === 'epc') {
        expect(frames[i]).toBe(unit(r.unit, true).data.toString('hex').toUpperCase());
        expect(decoded.identity.serial).toBe(String(r.unit + 1));
      } else expect(decoded.identity.serial).toBe(serialOf(r.unit));
      expect(decoded.identity.gtin).toBe(gtinOf(r.unit));
    });
    const units = new Set(reads.map((r) => r.unit)).size;
    expect(sim.err.at(-1)).toMatch(
      new RegExp(`^readpoint simulate: sent 20 reads \\(${garbage} garbage\\) of ${units} units in `),
    );
  });

  it('gives the same conveyor as the in-process simulator for the same seed, LF-terminated', async () => {
    const { pty, received } = await farEnd('same', '\n', 40);
    const sim = startCli([
      ...['simulate', '--device', pty.devicePath, '--count', '40', '--seed', '9', '--rate', '200'],
      ...[
        '--delimiter',
        'LF',
        '--link-share',
        '0',
        '--epc-share',
        '0.3',
        '--garbage-share',
        '0.1',
        '--quiet',
      ],
    ]);
    const frames = (await received).toString('latin1').split('\n').slice(0, -1);
    expect(await sim.exited).toBe(0);
    expect(sim.out).toEqual([]);

    const driver = new SimulatorDriver(
      simulatorConfig({ seed: 9, units: 200, repeats: 3, epcShare: 0.3, garbageShare: 0.1, limit: 40 }),
      { log: silentLogger() },
    );
    const sink = new RecordingSink();
    await driver.start(sink);
    cleanup.push(() => driver.stop());
    await expect.poll(() => sink.reads.length, { timeout: 20_000, interval: 10 }).toBe(40);
    const expected = sink.reads.map((r) =>
      r.kind === 'epc'
        ? r.data.toString('hex').toUpperCase()
        : r.data.toString('latin1').replace(/[\r\n]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x80)),
    );
    expect(frames).toEqual(expected);
    expect(sink.reads.some((r) => r.kind === 'epc')).toBe(true);
  });

  it('ends each read with CRLF when asked', async () => {
    const { pty, received } = await farEnd('crlf', '\r\n', 4);
    const sim = startCli([
      'simulate',
      '--device',
      pty.devicePath,
      '--count',
      '4',
      '--delimiter',
      'CRLF',
      '--garbage-share',
      '0',
    ]);
    const text = (await received).toString('latin1');
    expect(await sim.exited).toBe(0);
    expect(text.split('\r\n')).toHaveLength(5);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });
});

describe('readpoint simulate --pty, through the daemon', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('makes the line, waits for the reader, and every decodable unit arrives as one event', async () => {
    const link = join(dir, 'ttyV0');
    const sim = startCli(['simulate', '--pty', link, '--count', '30', '--rate', '50', '--seed', '1']);
    await sim.line(new RegExp(`^readpoint simulate: configure the reader with device: ${link} `));
    expect(existsSync(link)).toBe(true);
    await sim.line(/waiting for a reader to open/);
    expect(sim.out).toEqual([]); // nothing is sent before a reader listens

    const base = 'readpoint/v1/site-test/gw-test';
    const events = await collect(broker.url, `${base}/events/+`);
    const rejects = await collect(broker.url, `${base}/rejects`);
    cleanup.push(
      () => events.close(),
      () => rejects.close(),
    );
    const config = writeE2eConfig({
      dir: mkdtempSync(join(dir, 'gw-')),
      uplinkUrl: broker.url,
      readers: serialReaderYaml(link),
    });
    const daemon = startDaemon(config);
    try {
      await sim.line(/^readpoint simulate: done: the PTY stays until Ctrl-C/);
      const reads = printedReads(sim.out);
      expect(reads).toHaveLength(30);
      const good = new Set(reads.filter((r) => r.kind === 'label' || r.kind === 'link').map((r) => r.unit));
      const bad = reads.filter((r) => r.kind === 'epc' || r.kind === 'garbage').length;
      expect(good.size).toBeGreaterThan(3);
      expect(bad).toBeGreaterThan(0);
      await events.waitFor(good.size, 20_000);
      await rejects.waitFor(bad, 20_000);
      const got = events.messages.map((m) => JSON.parse(String(m.payload)));
      expect(new Set(got.map((e) => e['rp:unit'].serial))).toEqual(new Set([...good].map(serialOf)));
      expect(new Set(got.map((e) => e.eventID)).size).toBe(good.size);
      // Each bad read is one reject, with the code the decoder gives its bytes (EPC hex: no-aim-id).
      const expectedCodes = reads
        .filter((r) => r.kind === 'epc' || r.kind === 'garbage')
        .map((r) => {
          const result = decodeRead({ kind: 'barcode', data: bytesOf(r.escaped) });
          return result.ok ? 'decoded' : result.reject.code;
        });
      expect(expectedCodes.filter((c) => c === 'no-aim-id').length).toBeGreaterThanOrEqual(
        reads.filter((r) => r.kind === 'epc').length,
      );
      const codes = rejects.messages.map((m) => JSON.parse(String(m.payload)).code);
      expect(codes.sort()).toEqual(expectedCodes.sort());
    } finally {
      expect(await daemon.kill('SIGTERM')).toBe(0);
    }
    sim.child.kill('SIGINT');
    expect(await sim.exited).toBe(0);
    const units = new Set(printedReads(sim.out).map((r) => r.unit)).size;
    expect(sim.err.at(-1)).toMatch(
      new RegExp(`^readpoint simulate: sent 30 reads \\(\\d+ garbage\\) of ${units} units`),
    );
    expect(existsSync(link)).toBe(false);
  });

  it('keeps sending after the reader closes the line and opens it again, nothing held over the gap', async () => {
    const link = join(dir, 'ttyV1');
    const sim = startCli(['simulate', '--pty', link, '--rate', '5', '--garbage-share', '0', '--seed', '3']);
    await sim.line(/waiting for a reader to open/);
    /** Opens the reader's end and collects its CR-terminated reads with the time each arrived. */
    const openReader = async () => {
      const port = new SerialPort({ path: link, baudRate: 9600, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      const reads: { frame: string; at: number }[] = [];
      let pending = '';
      port.on('data', (chunk: Buffer) => {
        const parts = (pending + chunk.toString('latin1')).split('\r');
        pending = parts.pop()!;
        for (const frame of parts) reads.push({ frame, at: Date.now() });
      });
      const close = () => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));
      cleanup.push(close);
      return { reads, close };
    };
    const first = await openReader();
    await expect.poll(() => first.reads.length, { timeout: 20_000, interval: 10 }).toBeGreaterThanOrEqual(3);
    await first.close();
    await sim.line(/the reader closed .*ttyV1/);
    const reopenedAt = Date.now();
    const second = await openReader();
    await expect.poll(() => second.reads.length, { timeout: 20_000, interval: 10 }).toBeGreaterThanOrEqual(5);
    sim.child.kill('SIGINT');
    expect(await sim.exited).toBe(0);
    const printed = printedReads(sim.out);
    // Every read the simulator printed reached a reader, once, in order: none was written into the gap.
    await expect
      .poll(() => first.reads.length + second.reads.length, { timeout: 20_000, interval: 10 })
      .toBe(printed.length);
    expect([...first.reads, ...second.reads].map((r) => r.frame)).toEqual(
      printed.map((r) => bytesOf(r.escaped).toString('latin1')),
    );
    expect(printed.map((r) => r.read)).toEqual(printed.map((_, i) => i + 1));
    // The reads after the reopen were made after it: none is a stale read from the gap.
    const sentAfterGap = sim.out.slice(first.reads.length).map((l) => Date.parse(l.slice(0, 24)));
    expect(sentAfterGap).toHaveLength(second.reads.length);
    for (const t of sentAfterGap) expect(t).toBeGreaterThanOrEqual(reopenedAt);
    expect(sim.err.at(-1)).toMatch(
      new RegExp(`^readpoint simulate: sent ${printed.length} reads \\(0 garbage\\)`),
    );
    expect(existsSync(link)).toBe(false);
  });

  it('feeds a restarted daemon: its reads are the ones made after it opened the line', async () => {
    const link = join(dir, 'ttyV2');
    const sim = startCli([
      ...['simulate', '--pty', link, '--rate', '20', '--seed', '5', '--repeats', '1', '--units', '5000'],
      ...['--garbage-share', '0', '--epc-share', '0', '--link-share', '0'],
    ]);
    await sim.line(/waiting for a reader to open/);
    const base = 'readpoint/v1/site-test/gw-test';
    const events = await collect(broker.url, `${base}/events/+`);
    cleanup.push(() => events.close());
    const config = writeE2eConfig({
      dir: mkdtempSync(join(dir, 'gw-')),
      uplinkUrl: broker.url,
      readers: serialReaderYaml(link),
    });
    const first = startDaemon(config);
    try {
      await events.waitFor(3, 20_000);
    } finally {
      expect(await first.kill('SIGTERM')).toBe(0);
    }
    await sim.line(/the reader closed .*ttyV2/);
    const restartedAt = Date.now();
    const seen = events.messages.length;
    const second = startDaemon(config);
    try {
      // Each read is a unit of its own (one read per unit): each makes an event.
      await events.waitFor(seen + 5, 20_000);
      const health = await second.waitForLog(
        (l) => l.msg === 'health' && (l.health as HealthPayload).readers[0]!.reads >= 5,
      );
      expect((health.health as HealthPayload).readers[0]).toMatchObject({ id: 'scanner-1', rejects: 0 });
    } finally {
      expect(await second.kill('SIGTERM')).toBe(0);
    }
    sim.child.kill('SIGINT');
    expect(await sim.exited).toBe(0);
    const serials = events.messages.map((m) => JSON.parse(String(m.payload))['rp:unit'].serial as string);
    expect(new Set(serials).size).toBe(serials.length);
    // Each event after the restart is of a read the simulator made after it: none was held over
    // the gap and delivered late.
    const sentAt = new Map(
      sim.out.map((l) => [serialOf(Number(/ unit (\d+) /.exec(l)![1])), Date.parse(l.slice(0, 24))]),
    );
    for (const serial of serials.slice(seen)) expect(sentAt.get(serial)).toBeGreaterThanOrEqual(restartedAt);
  });

  it('says what to do when socat is missing', async () => {
    const sim = startCli(['simulate', '--pty', join(dir, 'no-socat')], {
      ...process.env,
      PATH: join(dir, 'empty-path'),
    });
    expect(await sim.exited).toBe(1);
    expect(sim.err).toContain(
      'readpoint simulate --pty needs socat (apt-get install socat); or give --device',
    );
  });
});

describe('readpoint simulate for RFID modules', () => {
  it('plays a ThingMagic module: the real driver reads the tags that come and go', async () => {
    const pty = await openPtyDevice(dir, 'tm');
    cleanup.push(() => pty.close());
    const sim = startCli([
      ...['simulate', '--protocol', 'thingmagic', '--device', pty.devicePath],
      ...['--count', '3', '--rate', '5', '--dwell-ms', '600', '--garbage-share', '0'],
    ]);
    await sim.line(/waiting for the reader to start reading/);
    // The module is another process: the driver gets the product's timeouts, not the fault tests'
    // 300/400 ms, which a loaded machine can exceed; a needless reconnect misses passing tags.
    const config = thingMagicConfig(pty.readerPath, { commandTimeoutMs: 1000, silenceTimeoutMs: 5000 });
    const driver = new ThingMagicDriver(config, { log: silentLogger() });
    const sink = new RecordingSink();
    await driver.start(sink);
    cleanup.push(() => driver.stop());
    expect(await sim.exited).toBe(0);
    const epcs = [0, 1, 2].map((n) => unit(n, true).data.toString('hex').toUpperCase());
    expect(
      sim.out.filter((l) => l.includes(' arrives ')).map((l) => / (30[0-9A-F]{22}) /.exec(l)?.[1]),
    ).toEqual(epcs);
    expect(sim.out.filter((l) => l.includes(' leaves '))).toHaveLength(3);
    // Its exit and its last bytes on the line are separate events: wait for the reads.
    await expect
      .poll(() => new Set(sink.reads.map((r) => r.data.toString('hex').toUpperCase())))
      .toEqual(new Set(epcs));
    expect(new Set(sink.reads.map((r) => r.antenna))).toEqual(new Set([1]));
    expect(sim.err.at(-1)).toMatch(/^readpoint simulate: sent 3 tag arrivals \(0 garbage\) of 3 units/);
  });

  it('plays a ThingMagic module behind --pty, and again after the reader reopened the line', async () => {
    const link = join(dir, 'rfid0');
    const sim = startCli([
      ...['simulate', '--protocol', 'thingmagic', '--pty', link],
      ...['--rate', '5', '--dwell-ms', '400', '--garbage-share', '0'],
    ]);
    await sim.line(/waiting for a reader to open/);
    const epcsOf = (sink: RecordingSink) =>
      new Set(sink.reads.map((r) => r.data.toString('hex').toUpperCase()));
    const first = new ThingMagicDriver(thingMagicConfig(link), { log: silentLogger() });
    const before = new RecordingSink();
    await first.start(before);
    cleanup.push(() => first.stop());
    await expect.poll(() => epcsOf(before).size, { timeout: 20_000, interval: 10 }).toBeGreaterThanOrEqual(2);
    await first.stop();
    await sim.line(/the reader closed .*rfid0/);
    const reopenedAt = Date.now();
    const second = new ThingMagicDriver(thingMagicConfig(link), { log: silentLogger() });
    const after = new RecordingSink();
    await second.start(after);
    cleanup.push(() => second.stop());
    await expect.poll(() => epcsOf(after).size, { timeout: 20_000, interval: 10 }).toBeGreaterThanOrEqual(2);
    sim.child.kill('SIGINT');
    expect(await sim.exited).toBe(0);
    // After the reopen the reader sees tags that came into the field after it: none from the gap.
    const arrivedSince = new Set(
      sim.out
        .filter((l) => l.includes(' arrives ') && Date.parse(l.slice(0, 24)) >= reopenedAt)
        .map((l) => / (30[0-9A-F]{22}) /.exec(l)![1]),
    );
    for (const epc of epcsOf(after)) expect(arrivedSince).toContain(epc);
  });

  it('plays an R2000 module the same way', async () => {
    const pty = await openPtyDevice(dir, 'r2k');
    cleanup.push(() => pty.close());
    const sim = startCli([
      ...['simulate', '--protocol', 'r2000', '--device', pty.devicePath, '--units', '2'],
      ...['--count', '2', '--rate', '5', '--dwell-ms', '500', '--seed', '4'],
    ]);
    await sim.line(/waiting for the reader to start reading/);
    const driver = new R2000Driver(r2000Config(pty.readerPath), { log: silentLogger() });
    const sink = new RecordingSink();
    await driver.start(sink);
    cleanup.push(() => driver.stop());
    expect(await sim.exited).toBe(0);
    const epcs = [0, 1].map((n) => unit(n, true).data.toString('hex').toUpperCase());
    expect(new Set(sink.reads.map((r) => r.data.toString('hex').toUpperCase()))).toEqual(new Set(epcs));
  });
});

describe('readpoint simulate, asked wrongly or unable', () => {
  it('answers wrong options with a usage error (64)', async () => {
    for (const args of [
      ['simulate'],
      ['simulate', '--device', '/dev/null', '--pty', join(dir, 'x')],
      ['simulate', '--device', '/dev/null', '--rate', '0'],
      ['simulate', '--device', '/dev/null', '--protocol', 'zebra'],
    ]) {
      const sim = startCli(args);
      expect(await sim.exited, args.join(' ')).toBe(64);
    }
  });

  it('says there is no such device, and refuses a LINK that exists', async () => {
    const missing = startCli(['simulate', '--device', join(dir, 'ttyNOPE')]);
    expect(await missing.exited).toBe(1);
    expect(missing.err[0]).toBe(
      `readpoint simulate: no device at ${join(dir, 'ttyNOPE')} (is the adapter plugged in? readpoint ports lists them; or use --pty LINK for a virtual line)`,
    );
    const taken = startCli(['simulate', '--pty', dir]);
    expect(await taken.exited).toBe(1);
    expect(taken.err[0]).toBe(
      `readpoint simulate: ${dir} exists already: if no simulator is using it, remove it (rm ${dir}), or choose another path`,
    );
  });

  it('has help with examples', async () => {
    const help = startCli(['simulate', '--help']);
    expect(await help.exited).toBe(0);
    expect(help.out.join('\n')).toContain('Examples:');
    expect(help.out.join('\n')).toContain('readpoint simulate --pty /tmp/ttyV0');
  });
});
