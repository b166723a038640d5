/** Decodes per second on one core, for the labels a warehouse reads most. */
import { decodeRead } from '../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';

const format = { data: 'aim' as const, plainSerial: [] };

function rate(name: string, input: Parameters<typeof decodeRead>[0]): { name: string; perSecond: number } {
  const check = decodeRead(input, format);
  if (!check.ok) throw new Error(`bench input does not decode: ${check.reject.message}`);
  for (let i = 0; i < 50_000; i++) decodeRead(input, format); // warm-up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 1000) {
    for (let i = 0; i < 1000; i++) decodeRead(input, format);
    n += 1000;
  }
  return { name, perSecond: n / ((performance.now() - start) / 1000) };
}

export async function benchIdentity(): Promise<{ name: string; perSecond: number }[]> {
  return [
    rate('serialized GS1 DataMatrix (01)(21)(17)(10)', {
      kind: 'barcode',
      data: Buffer.from(']d2010950600013435221SN0000042A\x1d1727123110LOT42', 'latin1'),
    }),
    rate('GS1 Digital Link URI in a QR code (01)(10)(21)?(17)', {
      kind: 'barcode',
      data: Buffer.from(']Q1https://id.gs1.org/01/09506000134352/10/LOT42/21/SN0000042A?17=271231', 'latin1'),
    }),
    rate('SGTIN-96 EPC', {
      kind: 'epc',
      data: encodeSgtin96({ filter: 3, companyPrefix: '0614141', itemReference: '812345', serial: 6789 }),
    }),
  ];
}
