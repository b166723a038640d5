/**
 * The two CRCs of the Mercury serial protocol. Both use the CCITT polynomial 0x1021, and neither
 * is what a stock CRC-16/CCITT routine computes, so they are written out here.
 */

const POLY = 0x1021;

/** The register after shifting one nibble (at the top) through the polynomial, per nibble value. */
const NIBBLE = Array.from({ length: 16 }, (_, nibble) => {
  let reg = nibble << 12;
  for (let bit = 0; bit < 4; bit++) reg = reg & 0x8000 ? ((reg << 1) ^ POLY) & 0xffff : (reg << 1) & 0xffff;
  return reg;
});

/**
 * The message CRC: register 0xFFFF, the message shifted into it 4 bits at a time with no
 * augmenting zeros at the end (the message is the dividend itself, not the dividend times x^16).
 * Over a frame it covers LEN, OP, (STATUS,) DATA: `00 03` gives 0x1D0C, where CRC-16/CCITT-FALSE
 * would give 0x2D6C.
 */
export function messageCrc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    crc = (((crc << 4) | (byte >> 4)) & 0xffff) ^ NIBBLE[crc >> 12]!;
    crc = (((crc << 4) | (byte & 0x0f)) & 0xffff) ^ NIBBLE[crc >> 12]!;
  }
  return crc;
}

/**
 * The Gen2 tag's own CRC-16 (EPC Gen2 air protocol; CRC-16/GENIBUS in the CRC catalogue): register
 * 0xFFFF, MSB first, the result inverted. A tag sends it after its PC and EPC; a record whose CRC
 * does not match was misheard or misparsed.
 */
export function gen2Crc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]! << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ POLY) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc ^ 0xffff;
}
