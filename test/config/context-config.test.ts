import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { problems } from './helpers.js';

const withContext = (context: string) => `gateway: { id: gw-1, site: s-1 }
readPoints:
  - id: door-1
    context: ${context}
readers:
  - { id: r-1, driver: serial-line, readPoint: door-1, path: /dev/ttyUSB0 }
`;

describe('a read point context in the config', () => {
  it('fills the CBV types of scanned transactions and no scanners by default', () => {
    const config = parseConfig(withContext('{}'), 'f.yaml');
    expect(config.readPoints[0]!.context).toEqual({
      scanners: [],
      types: { order: 'po', ginc: 'bol', gsin: 'desadv', sscc: 'desadv', asn: 'desadv' },
    });
    expect(
      parseConfig(withContext('{ scanners: [r-1], expiryS: 3600 }'), 'f.yaml').readPoints[0]!.context,
    ).toMatchObject({ scanners: ['r-1'], expiryS: 3600 });
  });

  it('says what is wrong: an unknown scanner, an ASN pattern without party or not compiling, a bad type or GLN', () => {
    expect(problems(withContext('{ scanners: [r-9] }'))).toEqual([
      'f.yaml:4:27 readPoints[0].context.scanners[0]: reader "r-9" is not defined in readers',
    ]);
    expect(problems(withContext('{ asnPattern: "ASN[0-9" }'))).toEqual([
      'f.yaml:4:14 readPoints[0].context.asnParty: asnPattern needs asnParty (the GLN of the ASN issuer)',
      'f.yaml:4:28 readPoints[0].context.asnPattern: not a regular expression: Invalid regular expression: ' +
        '/^(?:ASN[0-9)$/: Unterminated character class',
    ]);
    expect(problems(withContext('{ types: { gsin: shipment } }')).join('\n')).toMatch(
      /readPoints\[0\]\.context\.types\.gsin: "shipment" is not a CBV business transaction type or URI/,
    );
    expect(problems(withContext('{ orderParty: "401234500000" }')).join('\n')).toMatch(
      /readPoints\[0\]\.context\.orderParty: "401234500000" is not a GLN: 13 digits/,
    );
  });
});
