/**
 * EPC binary (GS1 Tag Data Standard), first cut: SGTIN-96 decoded in full; other GS1 schemes are
 * recognised by their header and rejected as not yet supported (issue 3); anything else is not a
 * GS1 EPC (e.g. factory-programmed E2... tags) and is rejected with its hex.
 */
import { gs1CheckDigit } from './check-digit.js';
import type { DecodeResult } from './identity.js';

/** Company prefix and item reference bits/digits per SGTIN partition 0-6. */
export const SGTIN_PARTITIONS: readonly {
  cpBits: number;
  cpDigits: number;
  irBits: number;
  irDigits: number;
}[] = [
  { cpBits: 40, cpDigits: 12, irBits: 4, irDigits: 1 },
  { cpBits: 37, cpDigits: 11, irBits: 7, irDigits: 2 },
  { cpBits: 34, cpDigits: 10, irBits: 10, irDigits: 3 },
  { cpBits: 30, cpDigits: 9, irBits: 14, irDigits: 4 },
  { cpBits: 27, cpDigits: 8, irBits: 17, irDigits: 5 },
  { cpBits: 24, cpDigits: 7, irBits: 20, irDigits: 6 },
  { cpBits: 20, cpDigits: 6, irBits: 24, irDigits: 7 },
];

const GS1_HEADERS = new Set([
  ...[0x2c, 0x2d, 0x2e, 0x2f],
  ...Array.from({ length: 0x41 - 0x31 + 1 }, (_, i) => 0x31 + i),
  ...Array.from({ length: 0xfd - 0xe6 + 1 }, (_, i) => 0xe6 + i),
]);

const reject = (code: string, message: string): DecodeResult => ({ ok: false, reject: { code, message } });

/** Reads `bits` bits starting at bit `offset` of `bytes`, as a BigInt. */
function bitsAt(bytes: Buffer, offset: number, bits: number): bigint {
  let v = 0n;
  for (let i = offset; i < offset + bits; i++) {
    v = (v << 1n) | BigInt((bytes[i >> 3]! >> (7 - (i & 7))) & 1);
  }
  return v;
}

export function decodeEpc(bytes: Buffer): DecodeResult {
  const hex = bytes.toString('hex').toUpperCase();
  if (bytes.length === 0) return reject('empty', 'the tag has no EPC data');
  const header = bytes[0]!;
  if (header === 0x30) return decodeSgtin96(bytes, hex);
  if (GS1_HEADERS.has(header)) {
    return reject(
      'epc-scheme-unsupported',
      `EPC header 0x${hex.slice(0, 2)} is a GS1 scheme readpoint does not decode yet: ${hex}`,
    );
  }
  return reject('epc-not-gs1', `not a GS1 EPC (header 0x${hex.slice(0, 2)}): ${hex}`);
}

function decodeSgtin96(bytes: Buffer, hex: string): DecodeResult {
  if (bytes.length < 12)
    return reject('epc-truncated', `SGTIN-96 needs 96 bits, got ${bytes.length * 8}: ${hex}`);
  const filter = Number(bitsAt(bytes, 8, 3));
  const partition = Number(bitsAt(bytes, 11, 3));
  const p = SGTIN_PARTITIONS[partition];
  if (!p) return reject('epc-partition', `SGTIN-96 partition ${partition} is undefined: ${hex.slice(0, 24)}`);
  const cp = bitsAt(bytes, 14, p.cpBits);
  const ir = bitsAt(bytes, 14 + p.cpBits, p.irBits);
  const serial = bitsAt(bytes, 58, 38);
  if (cp >= 10n ** BigInt(p.cpDigits) || ir >= 10n ** BigInt(p.irDigits)) {
    return reject(
      'epc-field-overflow',
      `SGTIN-96 field exceeds its ${p.cpDigits}+${p.irDigits} digits: ${hex.slice(0, 24)}`,
    );
  }
  const cpText = cp.toString().padStart(p.cpDigits, '0');
  const irText = ir.toString().padStart(p.irDigits, '0');
  const gtin13 = irText.slice(0, 1) + cpText + irText.slice(1);
  const gtin = gtin13 + gs1CheckDigit(gtin13);
  const serialText = serial.toString();
  const epcHex = hex.slice(0, 24);
  return {
    ok: true,
    identity: {
      source: 'epc',
      uri: `urn:epc:id:sgtin:${cpText}.${irText}.${serialText}`,
      digitalLink: `https://id.gs1.org/01/${gtin}/21/${serialText}`,
      gtin,
      serial: serialText,
      epc: {
        hex: epcHex,
        scheme: 'sgtin-96',
        tagUri: `urn:epc:tag:sgtin-96:${filter}.${cpText}.${irText}.${serialText}`,
        filter,
      },
    },
  };
}
