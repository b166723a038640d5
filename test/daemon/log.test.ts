/**
 * The root logger (daemon/log.ts) keeps secrets out of the journal: every byte it writes is
 * checked for the secret values, wherever a component put them.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CENSOR, redactUrlCredentials, rootLogger } from '../../daemon/log.js';

/** A stream that keeps every byte the logger writes. */
function capture() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return {
    stream,
    text: () => Buffer.concat(chunks).toString('utf8'),
    lines: () =>
      Buffer.concat(chunks)
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRETS = [
  'uplink-pass-1',
  'broker-pass-2',
  'reader-pass-3',
  'api-token-4',
  'client-secret-5',
  'Basic dXNlcjpwYXNz',
  '-----BEGIN PRIVATE KEY-----MIIEvQ',
  'url-pass-6',
  'msg-pass-7',
  'err-pass-8',
  'nested-pass-9',
  'passwd-10',
];

describe('rootLogger', () => {
  it('writes no secret, wherever it is in the logged object, the message or an error', () => {
    const out = capture();
    const log = rootLogger('info', out.stream);
    log.info(
      {
        password: SECRETS[0],
        config: {
          uplink: { url: 'mqtts://gw:url-pass-6@central:8883', password: SECRETS[0], key: SECRETS[6] },
          broker: { username: 'floor', password: SECRETS[1] },
          readers: [{ id: 'r700', username: 'r700', password: SECRETS[2] }, { id: 'scanner-1' }],
        },
        token: SECRETS[3],
        auth: { secret: SECRETS[4], headers: { authorization: SECRETS[5] } },
        headers: { authorization: SECRETS[5] },
        deep: { inner: { password: SECRETS[10] } },
        options: { key: SECRETS[6], passwd: SECRETS[11] },
      },
      'config loaded',
    );
    log
      .child({ component: 'uplink' })
      .warn(
        { url: 'mqtt://gw:url-pass-6@central:1883/', uplink: { password: SECRETS[0] } },
        'cannot reach mqtt://gw:msg-pass-7@central:1883',
      );
    log.error({ err: new Error('connect to mqtt://u:err-pass-8@h:1883 failed') }, 'uplink failed');
    log.info({ key: 'outbox/0000000042', readers: [{ id: 'r1', password: SECRETS[2] }] }, 'quarantined');

    const text = out.text();
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const [first, second, third, fourth] = out.lines();
    expect(first).toMatchObject({
      password: CENSOR,
      token: CENSOR,
      config: {
        uplink: { url: `mqtts://${CENSOR}@central:8883`, password: CENSOR, key: CENSOR },
        broker: { username: 'floor', password: CENSOR },
        readers: [{ id: 'r700', username: 'r700', password: CENSOR }, { id: 'scanner-1' }],
      },
      auth: { secret: CENSOR, headers: { authorization: CENSOR } },
      headers: { authorization: CENSOR },
      deep: { inner: { password: CENSOR } },
      options: { key: CENSOR, passwd: CENSOR },
      msg: 'config loaded',
    });
    expect(second).toMatchObject({
      component: 'uplink',
      url: `mqtt://${CENSOR}@central:1883/`,
      uplink: { password: CENSOR },
      msg: `cannot reach mqtt://${CENSOR}@central:1883`,
    });
    expect((third!.err as { message: string }).message).toBe(`connect to mqtt://${CENSOR}@h:1883 failed`);
    expect(String((third!.err as { stack: string }).stack)).toContain(`mqtt://${CENSOR}@h:1883`);
    // A key that is not a TLS key (an outbox record's) is kept: it is what a technician needs.
    expect(fourth).toMatchObject({ key: 'outbox/0000000042', readers: [{ id: 'r1', password: CENSOR }] });
  });

  it("logs an `err` given as a string (an error's message) as that string, credentials hidden", () => {
    const out = capture();
    const log = rootLogger('debug', out.stream);
    log.debug({ err: 'no driver takes reader gate-r700 messages yet' }, 'broker client error');
    log.warn({ err: 'cannot reach mqtts://u:url-pass-6@central:8883' }, 'uplink lost');
    log.info({ err: 42 }, 'odd');
    expect(out.lines().map((l) => [l.msg, l.err])).toEqual([
      ['broker client error', 'no driver takes reader gate-r700 messages yet'],
      ['uplink lost', `cannot reach mqtts://${CENSOR}@central:8883`],
      ['odd', 42],
    ]);
  });

  it('leaves URLs without credentials alone', () => {
    expect(redactUrlCredentials('mqtt://central:1883 and mqtts://a:b@c:8883/x')).toBe(
      `mqtt://central:1883 and mqtts://${CENSOR}@c:8883/x`,
    );
    expect(redactUrlCredentials('no url here: user@example.com')).toBe('no url here: user@example.com');
  });
});

describe('rootLogger level', () => {
  it('is followed by the child loggers made before a change (a live reload sets it on the root)', () => {
    const out = capture();
    const root = rootLogger('info', out.stream);
    const reader = root.child({ component: 'reader', reader: 'scanner-1' }).child({ part: 'framing' });
    reader.info('one');
    root.level = 'warn';
    reader.info('two');
    reader.warn('three');
    root.level = 'debug';
    reader.debug('four');
    expect(out.lines().map((l) => [l.level, l.msg, l.reader])).toEqual([
      [30, 'one', 'scanner-1'],
      [40, 'three', 'scanner-1'],
      [20, 'four', 'scanner-1'],
    ]);
  });
});
