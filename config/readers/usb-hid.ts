/**
 * A barcode scanner in USB HID POS mode (usage page 0x8C): it sends each decoded code in input
 * reports, not keystrokes, so no keyboard layout garbles it and no window needs focus. The
 * gateway finds it by VID:PID (and serial number, to tell identical scanners apart) and follows
 * it through unplug and replug. The byte layout of a report is the device's own: the `hid-pos`
 * preset fits the common one, explicit offsets fit the rest (read them off the report descriptor
 * or the scanner's manual).
 */
import { type Static, Type as T } from '@sinclair/typebox';
import { ReaderBase, Strict, type WithReaderDefaults } from '../reader-base.js';

const Byte = (description: string) => T.Integer({ minimum: 0, maximum: 255, description });
const Offset = (description: string) => T.Integer({ minimum: 0, maximum: 1023, description });
const UsbId = (description: string) => T.Integer({ minimum: 0, maximum: 0xffff, description });

export const HidReportOffsets = Strict(
  {
    reportId: Byte(
      'Report id of the scanned-data report (its first byte); reports of other ids are ignored.',
    ),
    lengthOffset: Offset('Byte holding the number of data bytes in this report.'),
    aimOffset: T.Optional(
      Offset('First of the 3 bytes of the AIM symbology identifier (e.g. "]d2"); absent: no AIM id.'),
    ),
    dataOffset: Offset('First data byte.'),
    maxDataLength: T.Integer({
      minimum: 1,
      maximum: 1024,
      description: 'Data bytes one report holds at most; a larger length byte marks a malformed report.',
    }),
    moreDataOffset: T.Optional(
      Offset(
        'Byte holding the "more data follows" flag of codes that span several reports; absent: none do.',
      ),
    ),
    // Optional rather than defaulted: Ajv fills no defaults inside a union branch such as this one.
    moreDataBit: T.Optional(
      T.Integer({
        minimum: 0,
        maximum: 7,
        description: 'Bit of the "more data follows" flag in its byte (0 = least significant, the default).',
      }),
    ),
  },
  'Where the fields of a scanned-data input report are, counted in bytes from the report id (byte 0).',
);

export const UsbHidReader = Strict(
  {
    ...ReaderBase,
    driver: T.Literal('usb-hid'),
    vendorId: UsbId('USB vendor id (VID), e.g. 3118 or 0x0c2e written as a number; see `lsusb`.'),
    productId: UsbId('USB product id (PID); see `lsusb`.'),
    serialNumber: T.Optional(
      T.String({
        minLength: 1,
        description:
          'USB serial number of the one scanner to use when several identical ones (same VID:PID) are plugged in.',
      }),
    ),
    interface: T.Integer({
      minimum: 0,
      maximum: 255,
      default: 0,
      description: 'USB interface number of the HID POS function (composite scanners expose several).',
    }),
    report: T.Union([T.Literal('hid-pos'), HidReportOffsets], {
      default: 'hid-pos',
      description:
        'Input report layout. hid-pos: report id 2, data length at byte 1, 3-byte AIM id at bytes 2-4, up to ' +
        '56 data bytes from byte 5, vendor symbology id at bytes 61-62, "more data follows" in bit 0 of byte ' +
        '63. Or the offsets of your model.',
    }),
    maxReadLength: T.Integer({
      minimum: 16,
      maximum: 65536,
      default: 4096,
      description: 'Longest code in bytes (AIM id included) across its reports; a longer one is rejected.',
    }),
  },
  'A barcode scanner in USB HID POS mode, found by VID:PID and followed through unplug and replug.',
);

export type HidReportOffsetsConfig = Static<typeof HidReportOffsets>;
export type UsbHidConfig = WithReaderDefaults<Static<typeof UsbHidReader>>;
