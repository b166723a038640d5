/** SGTIN-96 encoding: the simulator's tags and the decoder's round-trip tests. */
import { SGTIN_PARTITIONS } from './epc.js';

export { gs1CheckDigit as gtinCheckDigit } from './check-digit.js';

export interface Sgtin96Fields {
  readonly filter: number;
  /** 6 to 12 digits; its length selects the partition. */
  readonly companyPrefix: string;
  /** Indicator digit + item reference: 13 - companyPrefix.length digits. */
  readonly itemReference: string;
  readonly serial: bigint | number;
}

export function encodeSgtin96(f: Sgtin96Fields): Buffer {
  const partition = SGTIN_PARTITIONS.findIndex((p) => p.cpDigits === f.companyPrefix.length);
  const p = SGTIN_PARTITIONS[partition];
  if (
    !p ||
    f.companyPrefix.length + f.itemReference.length !== 13 ||
    !/^\d+$/.test(f.companyPrefix + f.itemReference)
  ) {
    throw new TypeError('encodeSgtin96: company prefix (6-12 digits) + item reference must be 13 digits');
  }
  const serial = BigInt(f.serial);
  if (serial < 0n || serial >= 1n << 38n) throw new TypeError('encodeSgtin96: serial must fit 38 bits');
  if (f.filter < 0 || f.filter > 7) throw new TypeError('encodeSgtin96: filter is 0-7');
  let v = 0x30n;
  v = (v << 3n) | BigInt(f.filter);
  v = (v << 3n) | BigInt(partition);
  v = (v << BigInt(p.cpBits)) | BigInt(f.companyPrefix);
  v = (v << BigInt(p.irBits)) | BigInt(f.itemReference);
  v = (v << 38n) | serial;
  return Buffer.from(v.toString(16).padStart(24, '0'), 'hex');
}
