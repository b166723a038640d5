/**
 * Replies to the R2000 real-time inventory commands (0x89, and 0x8B with session and target),
 * told apart by their data length as the module sends them:
 *
 * - 1 byte: a status code. 0x36 "no tag" ends a round over an empty field; 0x22 "antenna
 *   missing", 0x31 "inventory error" and the like end a round that failed.
 * - 7 bytes: end of round: antenna (0-based), read rate (u16, reads/s), total reads (u32).
 * - otherwise one tag: FreqAnt (bits 7-2 frequency channel index, bits 1-0 antenna - 1), PC (2),
 *   EPC, RSSI (1). No tag CRC and no timestamp: the gateway stamps the time. EPCs are whole
 *   16-bit words, so a tag reply's data length is even and never 7.
 *
 * RSSI: the byte is not dBm. The module vendor's own demo application and Android SDK show a
 * tag's RSSI as `raw - 129` dBm, and so do independent drivers for these modules; raw values
 * seen in published captures (0x37 to 0x45 for tags near an antenna) give -74 to -60 dBm, which
 * is where UHF tag backscatter sits. Readers with eight ports (two groups of four) borrow the
 * byte's top bit for the antenna group: set, the antenna is 5-8 (raw values stay below 0x80 on a
 * four-port module). So dBm = (raw & 0x7F) - 129 and antenna = (FreqAnt & 3) + 1 + 4 * bit 7.
 */

/** Status codes (the vendor's error code table); names say what the code means. */
export const Status = {
  success: 0x10,
  fail: 0x11,
  mcuReset: 0x20,
  cwOn: 0x21,
  antennaMissing: 0x22,
  writeFlash: 0x23,
  readFlash: 0x24,
  setOutputPower: 0x25,
  inventory: 0x31,
  noTag: 0x36,
  parameterInvalid: 0x41,
} as const;

/** Machine-readable reject codes and words for the status codes the driver may meet. */
const statusText: Record<number, readonly [code: string, words: string]> = {
  16: ['success', 'command succeeded'],
  17: ['command-failed', 'command failed'],
  32: ['mcu-reset-error', 'module CPU reset error'],
  33: ['cw-on-error', 'could not switch the carrier on'],
  34: ['antenna-missing', 'antenna missing (nothing connected to the port)'],
  35: ['write-flash-error', 'flash write error'],
  36: ['read-flash-error', 'flash read error'],
  37: ['set-power-error', 'could not set the output power'],
  49: ['inventory-error', 'inventory error'],
  54: ['no-tag', 'no tag in the field'],
  65: ['parameter-invalid', 'invalid parameter'],
};

/** `antenna-missing`, `inventory-error`, ...; unknown codes as `module-error-0xNN`. */
export function statusCode(status: number): string {
  return statusText[status]?.[0] ?? `module-error-0x${hex(status)}`;
}

/** "antenna missing (nothing connected to the port) (0x22)". */
export function describeStatus(status: number): string {
  return `${statusText[status]?.[1] ?? 'unknown module error'} (0x${hex(status)})`;
}

export interface TagReply {
  readonly type: 'tag';
  /** 1-based port. */
  readonly antenna: number;
  /** Index into the region's channel table (bits 7-2 of FreqAnt). */
  readonly channel: number;
  readonly pc: number;
  readonly epc: Buffer;
  /** dBm. */
  readonly rssi: number;
}

export interface RoundEnd {
  readonly type: 'round-end';
  /** 1-based port. */
  readonly antenna: number;
  /** Reads per second in this round. */
  readonly readRate: number;
  readonly totalReads: number;
}

export interface StatusReply {
  readonly type: 'status';
  readonly status: number;
}

export interface Malformed {
  readonly type: 'malformed';
  readonly reason: string;
}

export type InventoryReply = TagReply | RoundEnd | StatusReply | Malformed;

/** FreqAnt + PC + RSSI around the EPC. */
const TAG_OVERHEAD = 4;

/** Classifies the data of one 0x89 / 0x8B reply frame. */
export function classifyInventoryReply(data: Buffer): InventoryReply {
  if (data.length === 1) return { type: 'status', status: data[0]! };
  if (data.length === 7) {
    return {
      type: 'round-end',
      antenna: data[0]! + 1,
      readRate: data.readUInt16BE(1),
      totalReads: data.readUInt32BE(3),
    };
  }
  if (data.length < TAG_OVERHEAD) {
    return {
      type: 'malformed',
      reason: `an inventory reply of ${data.length} data bytes is neither a status nor a tag`,
    };
  }
  const freqAnt = data[0]!;
  const raw = data[data.length - 1]!;
  return {
    type: 'tag',
    antenna: (freqAnt & 0x03) + 1 + (raw & 0x80 ? 4 : 0),
    channel: freqAnt >> 2,
    pc: data.readUInt16BE(1),
    epc: Buffer.from(data.subarray(3, data.length - 1)),
    rssi: rssiDbm(raw),
  };
}

/** The RSSI byte of a tag reply in dBm (see the file comment). */
export function rssiDbm(raw: number): number {
  return (raw & 0x7f) - 129;
}

/** The inverse, for the simulator: dBm (and antenna group) to the RSSI byte. */
export function rssiByte(dbm: number, antenna: number): number {
  const value = Math.min(0x7f, Math.max(0, Math.round(dbm) + 129));
  return antenna > 4 ? value | 0x80 : value;
}

/** The data of a tag reply (the simulator's side of classifyInventoryReply). */
export function encodeTagReply(tag: {
  antenna: number;
  channel: number;
  pc: number;
  epc: Buffer;
  rssi: number;
}): Buffer {
  const out = Buffer.alloc(tag.epc.length + TAG_OVERHEAD);
  out[0] = ((tag.channel & 0x3f) << 2) | ((tag.antenna - 1) & 0x03);
  out.writeUInt16BE(tag.pc, 1);
  tag.epc.copy(out, 3);
  out[out.length - 1] = rssiByte(tag.rssi, tag.antenna);
  return out;
}

/** The data of an end-of-round reply. */
export function encodeRoundEnd(end: { antenna: number; readRate: number; totalReads: number }): Buffer {
  const out = Buffer.alloc(7);
  out[0] = (end.antenna - 1) & 0xff;
  out.writeUInt16BE(end.readRate & 0xffff, 1);
  out.writeUInt32BE(end.totalReads >>> 0, 3);
  return out;
}

/** The PC word a tag of this EPC length carries: EPC length in 16-bit words in bits 15-11. */
export function pcFor(epc: Buffer): number {
  return (Math.ceil(epc.length / 2) & 0x1f) << 11;
}

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
