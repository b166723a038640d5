/**
 * The last will, for real: an uplink in a child process is SIGKILLed and Mosquitto must publish
 * the retained `offline` on its behalf. The child is the uplink's own code, built for plain
 * node from dist/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../../support/mosquitto.js';
import { collect } from '../../support/mqtt-collector.js';
import { statusTopic } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The child is the uplink's own code as built into dist/ by `npm test` (see test/support/uplink-child.ts). */
function childScript(): string {
  const file = join(repoRoot, 'dist', 'test', 'support', 'uplink-child.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return file;
}

describe('MqttUplink last will', () => {
  it('leaves a retained offline when its process is SIGKILLed', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const script = childScript();
    const status = await collect(broker.url, statusTopic);
    cleanup.push(() => status.close());

    const child: ChildProcess = spawn(process.execPath, [script, broker.url, statusTopic], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => line === 'up' && resolve());
      exited.then((code) => reject(new Error(`child exited (${code}) before connecting: ${stderr}`)));
    });
    await status.waitFor(1, 5000);
    expect(status.messages.map((m) => m.payload.toString())).toEqual(['online']);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    await status.waitFor(2, 5000);
    expect(status.messages.map((m) => m.payload.toString())).toEqual(['online', 'offline']);

    // A subscriber arriving later finds the will retained.
    const later = await collect(broker.url, statusTopic);
    cleanup.push(() => later.close());
    await later.waitFor(1, 5000);
    expect(later.messages.map((m) => [m.payload.toString(), m.retain])).toEqual([['offline', true]]);
  });
});
