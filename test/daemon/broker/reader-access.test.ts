/**
 * Reader logins on the embedded broker, over TCP with real mqtt.js clients: each reader's own
 * password, its own topic only, nothing to read; consumers (anonymous here) read only the
 * gateway's topics, never a reader's raw messages.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  matches,
  type ReaderIntake,
  type ReaderLogin,
  readerLogins,
  readerTopic,
} from '../../../daemon/broker/reader-access.js';
import {
  closed,
  connectReader,
  endClient,
  readerConfig,
  startBroker,
  TOPIC_BASE,
} from '../../drivers/mqtt-reader/helpers.js';
import { gatewayClient } from '../../support/gateway-client.js';
import { collect } from '../../support/mqtt-collector.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const A: ReaderLogin = {
  id: 'door-a',
  username: 'r700-a',
  password: 'a-secret',
  topic: 'readpoint/v1/readers/door-a/tags',
};
const B_PASSWORD = 'b-sécret-from-file';

async function withReaders(floor: { username?: string; password?: string } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'rp-reader-access-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const passwordFile = join(dir, 'door-b.password');
  await writeFile(passwordFile, `${B_PASSWORD}\n`);
  const B: ReaderLogin = { id: 'door-b', username: 'fx-b', passwordFile, topic: 'site/dock/door-b' };
  const tb = await startBroker([A, B], floor);
  cleanup.push(() => tb.stop());
  return { ...tb, B };
}

/** Connects once; resolves with the CONNACK outcome. */
async function outcome(url: string, auth: { username?: string; password?: string }) {
  try {
    await endClient(await connectReader(url, auth));
    return 'accepted';
  } catch (err) {
    return `refused ${(err as { code?: number }).code}`;
  }
}

async function client(url: string, auth: { username?: string; password?: string }): Promise<MqttClient> {
  const c = await connectReader(url, auth);
  cleanup.push(() => endClient(c));
  return c;
}

/** The SUBACK return codes (128: refused); mqtt.js reports any refusal as an error carrying them. */
async function grantedCodes(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    return (err as { packet: { granted: number[] } }).packet.granted;
  }
}

function recordingIntake() {
  const payloads: string[] = [];
  const intake: ReaderIntake = {
    message: async (payload) => {
      payloads.push(payload.toString());
    },
    connection: () => {},
  };
  return { payloads, intake };
}

describe('reader access on the embedded broker', () => {
  it("checks each reader's own password (inline or from a file); anonymous consumers in, unknown users out", async () => {
    const { url } = await withReaders();
    expect(await outcome(url, { username: 'r700-a', password: 'a-secret' })).toBe('accepted');
    expect(await outcome(url, { username: 'fx-b', password: B_PASSWORD })).toBe('accepted');
    expect(await outcome(url, { username: 'r700-a', password: 'a-secreT' })).toBe('refused 4');
    expect(await outcome(url, { username: 'r700-a', password: B_PASSWORD })).toBe('refused 4');
    expect(await outcome(url, { username: 'r700-a' })).toBe('refused 4');
    expect(await outcome(url, { username: 'fx-b', password: `${B_PASSWORD}\n` })).toBe('refused 4');
    // No consumer login: anonymous clients get in (as consumers); a username nobody has does not.
    expect(await outcome(url, {})).toBe('accepted');
    expect(await outcome(url, { username: 'dashboard', password: 'whatever' })).toBe('refused 4');
  });

  it('keeps the floor credentials for everyone who is not a reader', async () => {
    const { url } = await withReaders({ username: 'floor', password: 'dock-secret' });
    expect(await outcome(url, { username: 'floor', password: 'dock-secret' })).toBe('accepted');
    expect(await outcome(url, { username: 'r700-a', password: 'a-secret' })).toBe('accepted');
    expect(await outcome(url, {})).toBe('refused 5');
    expect(await outcome(url, { username: 'r700-a', password: 'dock-secret' })).toBe('refused 4');
    expect(await outcome(url, { username: 'floor', password: 'a-secret' })).toBe('refused 4');
  });

  it('lets a reader publish only to its own topic, nobody else publish there, and no consumer see it', async () => {
    const { url, broker, B } = await withReaders();
    const a = recordingIntake();
    const b = recordingIntake();
    broker.attachReader('door-a', a.intake);
    broker.attachReader('door-b', b.intake);
    const everything = await collect(url, '#');
    cleanup.push(() => everything.close());

    const refusedPublish = async (auth: { username?: string; password?: string }, topic: string) => {
      const c = await client(url, auth);
      const gone = closed(c);
      c.publish(topic, `from ${auth.username ?? 'anonymous'} to ${topic}`, { qos: 1 });
      await gone;
    };
    await refusedPublish({ username: 'r700-a', password: 'a-secret' }, B.topic);
    await refusedPublish({ username: 'r700-a', password: 'a-secret' }, 'floor/news');
    await refusedPublish({}, A.topic);
    await refusedPublish({}, B.topic);
    await refusedPublish({}, 'floor/news');
    await refusedPublish({}, `${TOPIC_BASE}/status`);
    await refusedPublish({}, '$SYS/fake/clients');

    const readerA = await client(url, { username: 'r700-a', password: 'a-secret' });
    await readerA.publishAsync(A.topic, 'tags of door a', { qos: 1 });
    // The gateway's own login publishes its topics; a consumer's `#` gets those only.
    const gateway = await gatewayClient(broker);
    cleanup.push(() => gateway.endAsync());
    await gateway.publishAsync(`${TOPIC_BASE}/status`, 'online', { qos: 1 });
    await everything.waitFor(1, 5000);
    expect(everything.messages.map((m) => [m.topic, m.payload.toString()])).toEqual([
      [`${TOPIC_BASE}/status`, 'online'],
    ]);
    expect(broker.health()?.refused).toEqual({ publish: 7 });
    expect(a.payloads).toEqual(['tags of door a']);
    expect(b.payloads).toEqual([]);
  });

  it('refuses every subscription of a reader', async () => {
    const { url, B } = await withReaders();
    const readerA = await client(url, { username: 'r700-a', password: 'a-secret' });
    const filters = [
      B.topic,
      '#',
      'site/+/door-b',
      'readpoint/v1/readers/+/tags',
      A.topic,
      'floor/+',
      'site/dock',
    ];
    expect(await grantedCodes(readerA, filters)).toEqual([128, 128, 128, 128, 128, 128, 128]);
    const floor = await client(url, {});
    expect(await grantedCodes(floor, ['#', B.topic])).toEqual([1, 1]);
  });

  it('refuses a reader that publishes before its driver is attached, unacknowledged', async () => {
    const { url, broker } = await withReaders();
    const readerA = await client(url, { username: 'r700-a', password: 'a-secret' });
    const gone = closed(readerA);
    readerA.publish(A.topic, 'too early', { qos: 1 });
    await gone;
    const a = recordingIntake();
    const attachment = broker.attachReader('door-a', a.intake);
    expect(attachment.connected).toBe(false);
    expect(() => broker.attachReader('door-a', a.intake)).toThrow(
      'reader door-a already has a driver attached',
    );
    expect(() => broker.attachReader('door-z', a.intake)).toThrow(
      'reader door-z has no login on the embedded broker',
    );
    expect(a.payloads).toEqual([]);
  });

  it('replaces the logins live: a new reader gets in, a changed or removed one is put out, the rest stay', async () => {
    const { url, broker } = await withReaders();
    const a = recordingIntake();
    const states: boolean[] = [];
    broker.attachReader('door-a', { ...a.intake, connection: (up) => states.push(up) });
    const readerA = await client(url, { username: 'r700-a', password: 'a-secret' });
    const readerB = await client(url, { username: 'fx-b', password: B_PASSWORD });
    const floor = await client(url, {});
    const aGone = closed(readerA);
    const bGone = closed(readerB);
    const C: ReaderLogin = {
      id: 'door-c',
      username: 'r700-c',
      password: 'c-secret',
      topic: 'site/dock/door-c',
    };

    // A's password changes, B goes, C comes.
    const prepared = await broker.prepareLogins([{ ...A, password: 'a-new-secret' }, C], {});
    expect(broker.loginChanges(prepared)).toEqual({ readers: ['door-a', 'door-b', 'door-c'], consumers: [] });
    expect(readerA.connected && readerB.connected).toBe(true); // preparing changes nothing
    expect(broker.replaceLogins(prepared).sort()).toEqual(['door-a', 'door-b', 'door-c']);
    await aGone;
    await bGone;
    expect(states).toEqual([true, false]); // A's driver heard its reader go
    expect(floor.connected).toBe(true);

    expect(await outcome(url, { username: 'r700-a', password: 'a-secret' })).toBe('refused 4');
    expect(await outcome(url, { username: 'r700-a', password: 'a-new-secret' })).toBe('accepted');
    expect(await outcome(url, { username: 'r700-c', password: 'c-secret' })).toBe('accepted');
    // B's login is gone.
    expect(await outcome(url, { username: 'fx-b', password: B_PASSWORD })).toBe('refused 4');
    expect(() => broker.attachReader('door-b', recordingIntake().intake)).toThrow(
      'reader door-b has no login on the embedded broker',
    );
    // A again under its new password, delivering to the driver still attached.
    const againA = await client(url, { username: 'r700-a', password: 'a-new-secret' });
    await againA.publishAsync(A.topic, 'tags after the reload', { qos: 1 });
    expect(a.payloads).toEqual(['tags after the reload']);
    // Its sessions: before the reload, the accepted probe above, and this one.
    expect(states).toEqual([true, false, true, false, true]);
    // The same logins again change nothing, and a bad one is refused before anything changes.
    expect(
      broker.loginChanges(await broker.prepareLogins([{ ...A, password: 'a-new-secret' }, C], {})),
    ).toEqual({ readers: [], consumers: [] });
    await expect(
      broker.prepareLogins([{ ...C, passwordFile: '/nonexistent/c.password' }], {}),
    ).rejects.toThrow(/^broker reader logins: reader door-c: /);
  });

  it('fails start() naming every bad login, before listening', async () => {
    const logins: ReaderLogin[] = [
      { id: 'one', username: 'u1', password: 'p', passwordFile: '/etc/x', topic: 't/one' },
      { id: 'two', username: 'u2', topic: 't/two' },
      { id: 'three', username: 'u1', password: 'p', topic: 't/one' },
      { id: 'four', username: 'floor', password: 'p', topic: 't/four' },
      { id: 'five', username: 'u5', passwordFile: '/nonexistent/rp-password', topic: 't/five' },
    ];
    await expect(startBroker(logins, { username: 'floor', password: 'f' })).rejects.toThrow(
      'broker reader logins: reader one: set exactly one of password and passwordFile; ' +
        'reader two: set exactly one of password and passwordFile; ' +
        'reader three: username u1 is already used by another client; ' +
        "reader three: topic t/one is another reader's; " +
        'reader four: username floor is already used by another client; ' +
        'reader five: cannot read passwordFile /nonexistent/rp-password: ENOENT',
    );
  });

  it('derives topics from reader ids, checks every level, and logs in only MQTT readers', () => {
    expect(readerTopic({ id: 'dock-1' })).toBe('readpoint/v1/readers/dock-1/tags');
    expect(readerTopic({ id: 'dock-1', topic: 'site7/dock/in' })).toBe('site7/dock/in');
    expect(() => readerTopic({ id: 'dock/#' })).toThrow(TypeError);
    expect(() => readerTopic({ id: 'dock-1', topic: 'site7/+/in' })).toThrow(TypeError);
    const impinj = readerConfig('impinj-r700');
    const zebra = readerConfig('zebra-fx', {
      id: 'd2',
      username: 'z',
      password: undefined,
      passwordFile: '/run/z',
    });
    expect(readerLogins([{ driver: 'serial-line' }, impinj, zebra])).toEqual([
      {
        id: 'dock-door-1',
        username: 'reader-dock-1',
        password: 'r700-secret',
        topic: 'readpoint/v1/readers/dock-door-1/tags',
      },
      { id: 'd2', username: 'z', passwordFile: '/run/z', topic: 'readpoint/v1/readers/d2/tags' },
    ]);
  });

  it('matches topic filters as MQTT does', () => {
    const t = 'readpoint/v1/readers/door-a/tags';
    const cases: [string, boolean][] = [
      [t, true],
      ['#', true],
      ['readpoint/#', true],
      [`${t}/#`, true],
      ['readpoint/+/readers/+/tags', true],
      ['+/+/+/+/+', true],
      ['+/+/+/+', false],
      ['readpoint/v1/readers/door-b/tags', false],
      ['readpoint/v1/readers/door-a', false],
      ['readpoint/v1/readers/door-a/tags/more', false],
    ];
    expect(cases.map(([f]) => [f, matches(f, t)])).toEqual(cases);
    expect(matches('#', '$SYS/broker')).toBe(false);
  });
});
