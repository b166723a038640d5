import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedBrokerRuns } from '../../config/broker.js';
import { parseConfig } from '../../config/load.js';
import { repoRoot } from '../support/schemas.js';

/** The YAML block under the README's "A first configuration" heading. */
function firstConfiguration(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.indexOf('## A first configuration');
  expect(section).toBeGreaterThan(-1);
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(section));
  expect(block).not.toBeNull();
  return block![1]!;
}

describe("the README's first configuration", () => {
  it('is loaded by the config loader as one serial scanner publishing to a central broker', () => {
    const config = parseConfig(firstConfiguration(), 'README.md', { UPLINK_PASSWORD: 's3cret' });
    expect(config.readers.map((r) => [r.id, r.driver, r.readPoint])).toEqual([
      ['conveyor-scanner', 'serial-line', 'conveyor-1'],
    ]);
    expect(config.readPoints.map((p) => p.id)).toEqual(['conveyor-1']);
    expect(config.uplink.url).toBe('mqtts://mqtt.example.com:8883');
    expect(config.uplink.password).toBe('s3cret');
    // No network reader and a central broker: the embedded broker opens no port.
    expect(embeddedBrokerRuns(config)).toBe(false);
  });

  it('takes its password from the environment, as it says', () => {
    expect(() => parseConfig(firstConfiguration(), 'README.md', {})).toThrow(/UPLINK_PASSWORD is not set/);
  });
});
