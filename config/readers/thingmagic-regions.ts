/**
 * The module's region codes (command 0x97), as the Mercury API numbers them (tmr_region.h). A
 * module knows only some: an M6e Nano lists NA2, IN, JP, PRC, EU3, KR2, AU, NZ and OPEN, and
 * answers 0x010B (invalid region) to the others.
 */
export const THINGMAGIC_REGIONS = {
  NA: 0x01,
  EU: 0x02,
  KR: 0x03,
  IN: 0x04,
  JP: 0x05,
  PRC: 0x06,
  EU2: 0x07,
  EU3: 0x08,
  KR2: 0x09,
  PRC2: 0x0a,
  AU: 0x0b,
  NZ: 0x0c,
  NA2: 0x0d,
  NA3: 0x0e,
  IS: 0x0f,
  MY: 0x10,
  ID: 0x11,
  PH: 0x12,
  TW: 0x13,
  MO: 0x14,
  RU: 0x15,
  SG: 0x16,
  JP2: 0x17,
  JP3: 0x18,
  VN: 0x19,
  TH: 0x1a,
  AR: 0x1b,
  HK: 0x1c,
  BD: 0x1d,
  EU4: 0x1e,
  IS2: 0x20,
  NA4: 0x21,
  OPEN: 0xff,
} as const;

export type ThingMagicRegion = keyof typeof THINGMAGIC_REGIONS;
