/**
 * A ThingMagic Mercury module on the far end of a serial line, for tests and demos: it opens the
 * device end of a PTY pair (socat), answers the start-up commands with valid frames and, while
 * reading, streams a tag record per tag in the field per antenna every search cycle, or a
 * keep-alive when the field is empty. Tags arrive and leave on a script or on request; noise,
 * frames with a bad CRC, status errors, refused or unanswered commands and a silent module are
 * there to be asked for. A lost device end (socat killed) is a power cut: the module stops reading
 * and the device end is reopened when the path comes back.
 *
 * For a demo: `socat pty,raw,echo=0,link=/tmp/rfid pty,raw,echo=0,link=/tmp/rfid.device`, then
 * `startThingMagicSimulator({ path: '/tmp/rfid.device', tags: [...], cycleMs: 1000 })` in one
 * process and a `thingmagic` reader with `path: /tmp/rfid` in the gateway's config.
 */
import { SerialPort } from 'serialport';
import {
  encodeResponse,
  type Frame,
  FrameParser,
  GEN2,
  Opcode,
  ReadingOption,
  STREAM_METADATA,
  Status,
} from './frames.js';
import { encodeTagRecord, Metadata } from './tag-record.js';

export interface Sighting {
  /** Antenna port, 1-based. */
  readonly antenna: number;
  /** Peak RSSI, dBm. */
  readonly rssi: number;
}

export interface SimulatedTag {
  /** The EPC, hex. */
  readonly epc: string;
  /** The PC word; by default the EPC's length in words and no flags. */
  readonly pc?: number;
  /** The antennas that see it, each with its RSSI (default: antenna 1 at -55 dBm). */
  readonly seenOn?: readonly Sighting[];
  /** When it enters and leaves the field, ms after reading starts (default: from the start, for good). */
  readonly arriveMs?: number;
  readonly leaveMs?: number;
}

export interface ThingMagicSimulatorOptions {
  /** The device end of the PTY pair. */
  readonly path: string;
  readonly tags?: readonly SimulatedTag[];
  /** One search cycle: each tag in the field reported once per antenna, or a keep-alive. */
  readonly cycleMs?: number;
  /** Hardware model byte of the version answer: 0x18 M6e, 0x30 M6e Nano (default), 0x38 M7e. */
  readonly model?: number;
  /** Already reading when it starts, as a module left reading by a gateway that died. */
  readonly reading?: boolean;
  readonly baudRate?: number;
}

export interface ThingMagicSimulator {
  /** Every command that arrived with a good CRC, in order. */
  readonly commandsReceived: readonly Frame[];
  /** Times the device end was opened (once, plus once per PTY restart). */
  opens(): number;
  /** Keep-alives sent so far (search cycles that found no tag). */
  keepAlives(): number;
  isReading(): boolean;
  addTag(tag: SimulatedTag): void;
  removeTag(epc: string): void;
  /** Reports each of these tags once, in order, now; resolves once written. */
  report(
    tags: readonly (Partial<Sighting> & { readonly epc: string; readonly pc?: number })[],
  ): Promise<void>;
  /** Sends bytes as they are (noise, or a hand-made frame). */
  send(bytes: Buffer): Promise<void>;
  /** Sends noise bytes that hold no frame (default: 16 of them). */
  injectGarbage(bytes?: Buffer): Promise<void>;
  /** Sends a tag record whose frame CRC is wrong. */
  injectBadCrc(epc?: string): Promise<void>;
  /** Sends a 0x22 answer with this status and no data (0x0504 temperature limit, ...). */
  sendStatus(status: number): Promise<void>;
  /** From now on answers `opcode` with this status, not at all ('silent'), or normally again. */
  answer(opcode: number, how: number | 'silent' | 'normal'): void;
  /** A silent module sends nothing: no tags, no keep-alives, no answers. */
  setSilent(silent: boolean): void;
  close(): Promise<void>;
}

const DEFAULT_SIGHTING: readonly Sighting[] = [{ antenna: 1, rssi: -55 }];
const KNOWN_METADATA = Object.values(Metadata).reduce((all, flag) => all | flag, 0);
const NOISE = Buffer.from('00 13 37 42 AA 55 01 02 03 04 05 06 07 08 09 0A'.replace(/ /g, ''), 'hex');
const REOPEN_MS = 20;

export async function startThingMagicSimulator(
  options: ThingMagicSimulatorOptions,
): Promise<ThingMagicSimulator> {
  const sim = new Simulator(options);
  await sim.open();
  return sim;
}

class Simulator implements ThingMagicSimulator {
  readonly commandsReceived: Frame[] = [];
  private port: SerialPort | undefined;
  private opened = 0;
  private keepAlivesSent = 0;
  private closed = false;
  private reading: boolean;
  private readingSince = performance.now();
  private metadataFlags = STREAM_METADATA;
  private silent = false;
  private readonly population = new Map<string, SimulatedTag>();
  private readonly faults = new Map<number, number | 'silent'>();
  private cycleTimer: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private readonly parser = new FrameParser('command', { frame: (f) => this.onCommand(f), reject: () => {} });

  constructor(private readonly options: ThingMagicSimulatorOptions) {
    for (const tag of options.tags ?? []) this.population.set(tag.epc.toLowerCase(), tag);
    this.reading = options.reading ?? false;
  }

  async open(): Promise<void> {
    const port = new SerialPort({
      path: this.options.path,
      baudRate: this.options.baudRate ?? 115200,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    if (this.closed) return void port.close();
    this.port = port;
    this.opened++;
    port.on('data', (chunk: Buffer) => this.parser.push(chunk));
    const lost = () => this.lost(port);
    port.once('close', lost);
    port.on('error', lost);
    port.once('end', lost);
    if (this.reading) this.startCycles();
  }

  opens = () => this.opened;
  keepAlives = () => this.keepAlivesSent;
  isReading = () => this.reading;

  addTag(tag: SimulatedTag): void {
    this.population.set(tag.epc.toLowerCase(), tag);
  }

  removeTag(epc: string): void {
    this.population.delete(epc.toLowerCase());
  }

  report(
    tags: readonly (Partial<Sighting> & { readonly epc: string; readonly pc?: number })[],
  ): Promise<void> {
    if (!this.reading) throw new Error('the simulated module is not reading: start the driver first');
    const since = performance.now() - this.readingSince;
    const frames = tags.map((t) => this.record(t, { antenna: t.antenna ?? 1, rssi: t.rssi ?? -55 }, since));
    return this.send(Buffer.concat(frames));
  }

  send(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port || this.closed) return Promise.resolve();
    port.write(bytes);
    return new Promise((resolve) => port.drain(() => resolve()));
  }

  injectGarbage(bytes = NOISE): Promise<void> {
    return this.send(bytes);
  }

  injectBadCrc(epc = 'baadf00dbaadf00dbaadf00d'): Promise<void> {
    const frame = this.record({ epc }, DEFAULT_SIGHTING[0]!, 0);
    frame[frame.length - 1]! ^= 0xff;
    return this.send(frame);
  }

  sendStatus(status: number): Promise<void> {
    return this.send(encodeResponse(Opcode.readTagMultiple, status));
  }

  answer(opcode: number, how: number | 'silent' | 'normal'): void {
    if (how === 'normal') this.faults.delete(opcode);
    else this.faults.set(opcode, how);
  }

  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopCycles();
    clearTimeout(this.reopenTimer);
    this.parser.reset();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) {
      port.removeAllListeners();
      port.on('error', () => {});
      await new Promise<void>((resolve) => port.close(() => resolve()));
    }
  }

  /** The device end is gone: the module lost power. Reopen once the path is back. */
  private lost(port: SerialPort): void {
    if (this.port !== port) return;
    this.port = undefined;
    port.removeAllListeners();
    port.on('error', () => {});
    if (port.isOpen) port.close(() => {});
    this.reading = false;
    this.stopCycles();
    this.parser.reset();
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.closed) return;
    this.reopenTimer = setTimeout(() => {
      this.open().catch(() => this.scheduleReopen());
    }, REOPEN_MS);
  }

  private onCommand(command: Frame): void {
    this.commandsReceived.push(command);
    if (this.silent) return;
    const fault = this.faults.get(command.opcode);
    if (fault === 'silent') return;
    if (fault !== undefined) return void this.send(encodeResponse(command.opcode, fault));
    const option = command.data[2];
    if (command.opcode === Opcode.multiProtocolTagOp && option === ReadingOption.stop) {
      this.reading = false;
      this.stopCycles();
      return void this.send(encodeResponse(command.opcode, Status.ok, [ReadingOption.stop]));
    }
    // A module busy reading listens for nothing but the stop command.
    if (this.reading) return;
    void this.send(this.answerTo(command));
  }

  private answerTo(command: Frame): Buffer {
    const { opcode, data } = command;
    switch (opcode) {
      case Opcode.version: {
        // Bootloader, hardware (model first), firmware date, firmware version, protocols (Gen2).
        const model = this.options.model ?? 0x30;
        return encodeResponse(opcode, Status.ok, [
          ...[0x14, 0x12, 0x08, 0x00, model, 0x00, 0x00, 0x02, 0x20, 0x15, 0x03, 0x10],
          ...[0x01, 0x03, 0x01, 0x47, 0x00, 0x00, 0x00, 0x10],
        ]);
      }
      case Opcode.setTagProtocol:
        return encodeResponse(opcode, data.length === 2 && data[1] === GEN2 ? Status.ok : 0x0402);
      case Opcode.setRegion:
      case Opcode.setAntennaPort:
      case Opcode.setReadTxPower:
      case Opcode.setReaderOptionalParams:
        return encodeResponse(opcode, data.length > 0 ? Status.ok : 0x0100);
      case Opcode.multiProtocolTagOp:
        if (data[2] !== ReadingOption.start) return encodeResponse(opcode, 0x0105);
        this.metadataFlags = data.length >= 16 ? data.readUInt16BE(14) & KNOWN_METADATA : STREAM_METADATA;
        this.reading = true;
        this.readingSince = performance.now();
        this.startCycles();
        return encodeResponse(opcode, Status.ok, [ReadingOption.start, Opcode.readTagMultiple, 0x00, 0x00]);
      default:
        return encodeResponse(opcode, Status.invalidOpcode);
    }
  }

  private startCycles(): void {
    this.stopCycles();
    this.cycleTimer = setInterval(() => this.cycle(), this.options.cycleMs ?? 100);
  }

  private stopCycles(): void {
    clearInterval(this.cycleTimer);
    this.cycleTimer = undefined;
  }

  /** One search cycle: every tag in the field, per antenna that sees it, or a keep-alive. */
  private cycle(): void {
    if (!this.reading || this.silent) return;
    const since = performance.now() - this.readingSince;
    const frames: Buffer[] = [];
    for (const tag of this.population.values()) {
      if (since < (tag.arriveMs ?? 0) || (tag.leaveMs !== undefined && since >= tag.leaveMs)) continue;
      for (const sighting of tag.seenOn ?? DEFAULT_SIGHTING) frames.push(this.record(tag, sighting, since));
    }
    if (frames.length === 0) {
      this.keepAlivesSent++;
      frames.push(encodeResponse(Opcode.readTagMultiple, Status.noTagsFound));
    }
    void this.send(Buffer.concat(frames));
  }

  private record(tag: { readonly epc: string; readonly pc?: number }, seen: Sighting, since: number): Buffer {
    const record = encodeTagRecord(this.metadataFlags, {
      epc: Buffer.from(tag.epc, 'hex'),
      ...(tag.pc !== undefined ? { pc: tag.pc } : {}),
      readCount: 1,
      rssi: seen.rssi,
      antenna: { tx: seen.antenna, rx: seen.antenna },
      frequencyKhz: 915250,
      // Whole milliseconds down: rounded up, a record of the last half millisecond would be stamped at its departure.
      timestampMs: Math.floor(since),
      protocol: GEN2,
    });
    return encodeResponse(Opcode.readTagMultiple, Status.ok, record);
  }
}
