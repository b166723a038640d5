/**
 * A simulated R2000 module on the device end of a serial line (a PTY pair made by socat): it reads
 * the gateway's commands and answers as a module does, so the real driver can be run against it
 * in tests and in a demo. It answers the firmware version, set/get antenna, set output power and
 * real-time inventory (0x89, 0x8B) over a tag population the caller scripts: each tag has an EPC
 * and the antennas that see it with an RSSI each, arrives with addTag() and leaves with
 * removeTag() or after a number of rounds that report it. A round over an empty field answers
 * "no tag" (0x36); a round on an antenna listed as missing answers 0x22. On request it sends
 * noise bytes, frames with a wrong checksum, or nothing at all (a module that hangs).
 */
import { SerialPort } from 'serialport';
import { BROADCAST, Command, encodeFrame, type Frame, FrameParser } from './frames.js';
import { encodeRoundEnd, encodeTagReply, pcFor, Status } from './inventory.js';

export interface SimulatedTag {
  /** The EPC, hex. */
  readonly epc: string;
  /** Where the tag is: antenna port (1-based) -> RSSI there, dBm. */
  readonly seenBy: Readonly<Record<number, number>>;
  /** The PC word; by default the EPC length in words, nothing else set. */
  readonly pc?: number;
  /** Rounds that report the tag before it leaves the field by itself; default: until removed. */
  readonly reads?: number;
}

export interface R2000SimulatorOptions {
  /** The device end of the serial line (the gateway opens the other end). */
  readonly path: string;
  /** The module's own address, carried by every reply (default 1). */
  readonly address?: number;
  /** Firmware version, [major, minor] (default 1.9). */
  readonly firmware?: readonly [number, number];
  readonly tags?: readonly SimulatedTag[];
  /** Antenna ports with nothing connected: inventory on them answers 0x22. */
  readonly missingAntennas?: readonly number[];
  /** Antenna ports the module has (default 4; 8 for the eight-port readers). */
  readonly ports?: number;
  /** How long a round takes before its replies go out, ms (default 10). */
  readonly roundMs?: number;
}

export interface ReceivedCommand {
  readonly address: number;
  readonly command: number;
  readonly data: Buffer;
  /** When it arrived (performance.now() ms). */
  readonly at: number;
}

export interface R2000Simulator {
  /** Every well-formed command received, in order. */
  readonly commandsReceived: readonly ReceivedCommand[];
  addTag(tag: SimulatedTag): void;
  /** The tag leaves the field; false if it was not there. */
  removeTag(epc: string): boolean;
  setMissingAntennas(antennas: readonly number[]): void;
  /** Writes noise onto the line now, between two frames (default: bytes with no 0xA0 in them). */
  injectGarbage(bytes?: Buffer): Promise<void>;
  /** The next `count` tag replies leave with a wrong checksum (the tags' reads are lost). */
  corruptNextTagReplies(count?: number): void;
  /** A hung module: commands are read (and recorded) but not answered while muted. */
  mute(muted: boolean): void;
  /** Opens the device path again (after the PTY pair was made anew). */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** Noise as a line picks it up: no 0xA0, so it never looks like the start of a frame. */
export const DEFAULT_NOISE = Buffer.from([0x00, 0xff, 0x13, 0x37, 0x5a, 0x0d, 0x0a, 0x7e, 0x81]);

export async function startR2000Simulator(options: R2000SimulatorOptions): Promise<R2000Simulator> {
  const sim = new SimulatedModule(options);
  await sim.reopen();
  return sim;
}

class SimulatedModule implements R2000Simulator {
  readonly commandsReceived: ReceivedCommand[] = [];
  private readonly tags: { tag: SimulatedTag; epc: Buffer; left: number }[] = [];
  private missing: Set<number>;
  private port: SerialPort | undefined;
  private antenna = 1;
  private channel = 0;
  private corrupt = 0;
  private muted = false;
  private readonly rounds = new Set<NodeJS.Timeout>();
  private readonly address: number;

  constructor(private readonly options: R2000SimulatorOptions) {
    this.address = options.address ?? 1;
    this.missing = new Set(options.missingAntennas ?? []);
    for (const tag of options.tags ?? []) this.addTag(tag);
  }

  addTag(tag: SimulatedTag): void {
    this.tags.push({ tag, epc: Buffer.from(tag.epc, 'hex'), left: tag.reads ?? Number.POSITIVE_INFINITY });
  }

  removeTag(epc: string): boolean {
    const i = this.tags.findIndex((t) => t.tag.epc.toLowerCase() === epc.toLowerCase());
    if (i >= 0) this.tags.splice(i, 1);
    return i >= 0;
  }

  setMissingAntennas(antennas: readonly number[]): void {
    this.missing = new Set(antennas);
  }

  injectGarbage(bytes = DEFAULT_NOISE): Promise<void> {
    return this.write(bytes);
  }

  corruptNextTagReplies(count = 1): void {
    this.corrupt += count;
  }

  mute(muted: boolean): void {
    this.muted = muted;
  }

  async reopen(): Promise<void> {
    await this.closePort();
    const port = new SerialPort({ path: this.options.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    const parser = new FrameParser({ frame: (frame) => this.onCommand(frame), discard: () => {} });
    port.on('data', (chunk: Buffer) => parser.push(chunk));
    // The PTY pair going away (socat killed) ends this end too: the module is gone until reopen().
    const gone = () => {
      if (this.port === port) this.port = undefined;
    };
    port.on('error', gone);
    port.on('close', gone);
    this.port = port;
  }

  close(): Promise<void> {
    return this.closePort();
  }

  private async closePort(): Promise<void> {
    for (const round of this.rounds) clearTimeout(round);
    this.rounds.clear();
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return;
    port.removeAllListeners();
    port.on('error', () => {});
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private onCommand(frame: Frame): void {
    const { address, command, data } = frame;
    if (address !== BROADCAST && address !== this.address) return;
    this.commandsReceived.push({ address, command, data: Buffer.from(data), at: performance.now() });
    if (this.muted) return;
    if (command === Command.realTimeInventory || command === Command.sessionInventory)
      this.inventory(command);
    else if (command !== Command.reset) void this.reply(command, this.answer(command, data)); // a reset module says nothing
  }

  /** The data of the reply to a command other than an inventory. */
  private answer(command: number, data: Buffer): Buffer {
    switch (command) {
      case Command.firmwareVersion:
        return Buffer.from(this.options.firmware ?? [1, 9]);
      case Command.setWorkAntenna: {
        const port = data[0] ?? 0xff;
        if (data.length !== 1 || port >= (this.options.ports ?? 4))
          return Buffer.from([Status.parameterInvalid]);
        this.antenna = port + 1;
        return Buffer.from([Status.success]);
      }
      case Command.getWorkAntenna:
        return Buffer.from([this.antenna - 1]);
      case Command.setOutputPower:
        return Buffer.from([Status.success]);
      default:
        return Buffer.from([Status.fail]);
    }
  }

  /** One round on the current antenna: its replies go out together when the round ends. */
  private inventory(command: number): void {
    const antenna = this.antenna;
    const round = setTimeout(() => {
      this.rounds.delete(round);
      if (this.missing.has(antenna)) return void this.status(command, Status.antennaMissing);
      const seen = this.tags.filter((t) => t.tag.seenBy[antenna] !== undefined);
      if (seen.length === 0) return void this.status(command, Status.noTag);
      const frames = seen.map((t) => {
        if (--t.left <= 0) this.tags.splice(this.tags.indexOf(t), 1);
        this.channel = (this.channel + 1) % 50;
        const data = encodeTagReply({
          antenna,
          channel: this.channel,
          pc: t.tag.pc ?? pcFor(t.epc),
          epc: t.epc,
          rssi: t.tag.seenBy[antenna]!,
        });
        return this.frame(command, data, this.corrupt-- > 0);
      });
      this.corrupt = Math.max(0, this.corrupt);
      const roundMs = Math.max(1, this.options.roundMs ?? 10);
      const end = encodeRoundEnd({
        antenna,
        readRate: Math.round((seen.length * 1000) / roundMs),
        totalReads: seen.length,
      });
      void this.write(Buffer.concat([...frames, this.frame(command, end)]));
    }, this.options.roundMs ?? 10);
    this.rounds.add(round);
  }

  private status(command: number, status: number): Promise<void> {
    return this.reply(command, Buffer.from([status]));
  }

  private reply(command: number, data: Buffer): Promise<void> {
    return this.write(this.frame(command, data));
  }

  private frame(command: number, data: Buffer, corrupt = false): Buffer {
    const bytes = encodeFrame({ address: this.address, command, data });
    if (corrupt) bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x5a;
    return bytes;
  }

  private write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port || this.muted) return Promise.resolve();
    return new Promise((resolve) => port.write(bytes, () => port.drain(() => resolve())));
  }
}
