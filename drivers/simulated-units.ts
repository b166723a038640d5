/**
 * What the simulated conveyor carries: a deterministic population of serialized units (GS1
 * DataMatrix labels and SGTIN-96 tags) and the noise a real line produces.
 */
import { encodeSgtin96, gtinCheckDigit } from '../daemon/identity/epc-encode.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same conveyor. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    return draw(a);
  };
}

/** `prng(seed)()`: the first number of a seed, without making a generator for it. */
export const firstDraw = (seed: number): number => draw(((seed >>> 0) + 0x6d2b79f5) >>> 0);

/** mulberry32's output for its state `a`, in [0, 1). */
function draw(a: number): number {
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export interface SimulatedUnit {
  readonly kind: 'barcode' | 'epc';
  readonly data: Buffer;
}

const COMPANY = '9506000'; // 7-digit GS1 company prefix used in GS1's own examples

/**
 * Unit `n` of the population (n >= 0), tagged when `tagged`. A unit's label is printed once: every
 * read of it gives the same bytes.
 */
export function unit(n: number, tagged: boolean): SimulatedUnit {
  const item = String(10000 + (n % 90)).slice(-5); // a few dozen products
  if (tagged) {
    return {
      kind: 'epc',
      data: encodeSgtin96({ filter: 1, companyPrefix: COMPANY, itemReference: `0${item}`, serial: n + 1 }),
    };
  }
  const gtin13 = `0${COMPANY}${item}`;
  const gtin = `${gtin13}${gtinCheckDigit(gtin13)}`;
  const serial = `SN${(n + 1).toString(36).toUpperCase().padStart(8, '0')}`;
  const expiry = `${27 + (n % 3)}${String(1 + (n % 12)).padStart(2, '0')}${n % 5 === 0 ? '00' : '15'}`;
  const lot = `L${String(n % 50).padStart(3, '0')}`;
  const order = n % 3 !== 0; // label layouts differ between products' printers
  // 21 is variable-length: a GS must follow it when another element comes after.
  const text = order
    ? `]d201${gtin}21${serial}\x1d17${expiry}10${lot}`
    : `]d201${gtin}17${expiry}10${lot}\x1d21${serial}`;
  return { kind: 'barcode', data: Buffer.from(text, 'latin1') };
}

/** A read a real line produces now and then: line noise, a torn read, a misprinted label. */
export function noise(random: () => number, n: number): Buffer {
  const pick = Math.floor(random() * 3);
  if (pick === 0)
    return Buffer.from(
      Array.from({ length: 4 + Math.floor(random() * 20) }, () => Math.floor(random() * 256)),
    );
  const good = unit(n, false).data.toString('latin1');
  if (pick === 1) return Buffer.from(good.slice(0, 10 + Math.floor(random() * 8)), 'latin1');
  // Flip the GTIN's check digit.
  const at = 3 + 2 + 13;
  const wrong = String((Number(good[at]) + 1) % 10);
  return Buffer.from(good.slice(0, at) + wrong + good.slice(at + 1), 'latin1');
}
