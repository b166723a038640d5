/** Writes a daemon config for integration tests into a temp dir. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface E2eConfigOptions {
  dir: string;
  uplinkUrl?: string;
  readers: string; // YAML of the readers list items, indented by 2
  healthIntervalS?: number;
  inflight?: number;
  liveShare?: number;
  extra?: string;
}

export function writeE2eConfig(o: E2eConfigOptions): string {
  const file = join(o.dir, 'readpoint.yaml');
  const uplink = o.uplinkUrl ? `  url: ${o.uplinkUrl}\n` : '';
  writeFileSync(
    file,
    `gateway:
  id: gw-test
  site: site-test
dataDir: ${join(o.dir, 'data')}
log:
  level: info
broker:
  enabled: ${o.uplinkUrl ? 'false' : 'true'}
  port: 0
uplink:
${uplink}  keepaliveS: 5
  inflight: ${o.inflight ?? 100}
${o.liveShare !== undefined ? `  liveShare: ${o.liveShare}\n` : ''}  healthIntervalS: ${o.healthIntervalS ?? 1}
  retry:
    minMs: 100
    maxMs: 1000
readPoints:
  - id: conveyor-1
    bizStep: shipping
    disposition: in_transit
    bizLocation: urn:epc:id:sgln:4012345.00001.0
${o.extra ?? ''}readers:
${o.readers}`,
  );
  return file;
}

/** A serial-line scanner at conveyor-1 on `path`, as a readers list item; `extra` is more YAML keys. */
export function serialReaderYaml(path: string, extra: Record<string, string | number> = {}): string {
  const lines = [
    '  - id: scanner-1',
    '    driver: serial-line',
    '    readPoint: conveyor-1',
    `    path: ${path}`,
  ];
  for (const [key, value] of Object.entries(extra)) lines.push(`    ${key}: ${value}`);
  return `${lines.join('\n')}\n`;
}
