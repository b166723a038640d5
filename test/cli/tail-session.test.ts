/**
 * `readpoint tail --session NAME`, the real CLI against a real Mosquitto: a persistent session
 * (clean=false, client id `readpoint-tail-NAME`) gets what was published while tail was away,
 * before what comes live, in order; with `--dedup` each event is printed once. A tail that stops
 * after `--count` leaves what it did not print to the session instead of losing it.
 */
import { spawnSync } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../support/daemon.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { labelEvent } from './tail-fixtures.js';
import { startTail, type Tail } from './tail-process.js';

const EVENTS = 'readpoint/v1/site-1/gw-1/events/dock-1';
/** `kind #seq` of each `--dedup --json` line: what tail made of the stream, in its order. */
const verdicts = (t: Tail) =>
  t.lines.map((l) => JSON.parse(l)).map((v) => (v.kind === 'summary' ? 'summary' : `${v.kind} #${v.seq}`));

let broker: Mosquitto;
let publisher: MqttClient;
beforeAll(async () => {
  broker = await startMosquitto();
  publisher = await mqtt.connectAsync(broker.url, { clientId: 'rp-session-publisher', reconnectPeriod: 0 });
});
afterAll(async () => {
  await publisher?.endAsync();
  await broker?.stop();
});

/** Publishes the events `seqs` one PUBACK after another, so the broker queues them in this order. */
async function publish(seqs: readonly number[]) {
  for (const seq of seqs) await publisher.publishAsync(EVENTS, labelEvent(seq), { qos: 1 });
}

/** `readpoint tail --dedup --json` on the test gateway's events, in `session` when one is named. */
function tail(session: string | undefined, ...more: string[]): Tail {
  return startTail([
    '--url',
    broker.url,
    '--site',
    'site-1',
    '--gateway',
    'gw-1',
    '--dedup',
    '--json',
    ...(session === undefined ? [] : ['--session', session]),
    ...more,
  ]);
}

describe('readpoint tail --session', () => {
  it('gets the events published while it was away when it comes back, each once, in order', async () => {
    const first = tail('audit-1');
    await first.waitForStderr(/started the session readpoint-tail-audit-1: the broker keeps/);
    await first.waitForStderr(/subscribed to readpoint\/v1\/site-1\/gw-1\/events\/\+ and/);
    await publish([1, 2, 3]);
    await first.waitForLines(3);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(verdicts(first)).toEqual(['event #1', 'event #2', 'event #3', 'summary']);

    // Away: the broker queues these for the session, #6 twice (a redelivery by the gateway).
    await publish([4, 5, 6, 6, 7, 8]);

    const again = tail('audit-1');
    await again.waitForStderr(/resumed the session readpoint-tail-audit-1: what was published meanwhile/);
    await again.waitForLines(6);
    await publish([9]);
    await again.waitForLines(7);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
    expect(verdicts(again)).toEqual([
      'event #4',
      'event #5',
      'event #6',
      'duplicate #6',
      'event #7',
      'event #8',
      'event #9',
      'summary',
    ]);
    const summary = JSON.parse(again.lines.at(-1)!);
    expect([summary.events, summary.duplicates, summary.gaps, summary.unexplained]).toEqual([6, 1, 0, 0]);
    // The events printed are the very bytes published.
    const printed = [...first.lines, ...again.lines]
      .map((l) => JSON.parse(l))
      .filter((v) => v.kind === 'event')
      .map((v) => JSON.stringify(v.event));
    expect(printed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((seq) => labelEvent(seq)));
  });

  it('after --count, leaves what it did not print to the session: the next tail prints it', async () => {
    const two = tail('audit-2', '--count', '2');
    await two.waitForStderr(/subscribed to /);
    // Tail frozen, the broker's messages wait in its socket: it reads them in one go once
    // thawed, so those after #22 reach it while it stops, and must stay in the session.
    const sent = Array.from({ length: 10 }, (_, i) => 21 + i);
    two.child.kill('SIGSTOP');
    await publish(sent);
    two.child.kill('SIGCONT');
    expect(await two.exited).toBe(0);
    expect(verdicts(two)).toEqual(['event #21', 'event #22', 'summary']);

    const rest = tail('audit-2');
    await rest.waitForLines(sent.length - 2);
    rest.child.kill('SIGINT');
    expect(await rest.exited).toBe(0);
    expect(verdicts(rest)).toEqual([...sent.slice(2).map((seq) => `event #${seq}`), 'summary']);
  });

  it('without --session, what is published while it is away is not delivered to it', async () => {
    const plain = tail(undefined);
    await plain.waitForStderr(/subscribed to /);
    plain.child.kill('SIGINT');
    expect(await plain.exited).toBe(0);
    await publish([31, 32]);
    const back = tail(undefined);
    await back.waitForStderr(/subscribed to /);
    await publish([33]);
    await back.waitForLines(1);
    back.child.kill('SIGINT');
    expect(await back.exited).toBe(0);
    expect(verdicts(back)).toEqual(['event #33', 'summary']);
  });

  it('refuses a session name a broker may not take as a client id, as a usage error', () => {
    for (const name of ['two words', 'a/b', 'x'.repeat(65), '']) {
      const r = spawnSync(process.execPath, [cliPath, 'tail', '--url', broker.url, '--session', name], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(r.status).toBe(64);
      expect(r.stderr).toContain(
        `readpoint tail: --session ${JSON.stringify(name)} is not a session name: letters, digits, _ and -, 1 to 64 characters`,
      );
    }
  });
});
