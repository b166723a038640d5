import { afterEach, describe, expect, it, vi } from 'vitest';
import { Framer, parseDelimiter } from '../../drivers/framing.js';

function framer(delimiter: string, maxLength = 16, silenceMs = 20) {
  const frames: string[] = [];
  const overlong: string[] = [];
  const f = new Framer(
    { delimiter: parseDelimiter(delimiter), maxLength, silenceMs },
    { frame: (b) => frames.push(b.toString('latin1')), overlong: (b) => overlong.push(b.toString('latin1')) },
  );
  const push = (...chunks: (string | number[])[]) => {
    for (const c of chunks) f.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : Buffer.from(c));
  };
  return { f, push, frames, overlong };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('parseDelimiter', () => {
  it('maps the config names and hex to bytes', () => {
    expect(parseDelimiter('CR')).toEqual(Buffer.from([0x0d]));
    expect(parseDelimiter('LF')).toEqual(Buffer.from([0x0a]));
    expect(parseDelimiter('CRLF')).toEqual(Buffer.from([0x0d, 0x0a]));
    expect(parseDelimiter('ETX')).toEqual(Buffer.from([0x03]));
    expect(parseDelimiter('hex:1e04')).toEqual(Buffer.from([0x1e, 0x04]));
    expect(parseDelimiter('silence')).toBe('silence');
  });

  it('throws a TypeError on a delimiter it does not know', () => {
    expect(() => parseDelimiter('TAB')).toThrow(TypeError);
    expect(() => parseDelimiter('hex:0')).toThrow(TypeError);
  });
});

describe('Framer', () => {
  it('frames on CR, LF, CRLF, ETX and hex delimiters and keeps the unfinished frame', () => {
    for (const [delimiter, sep] of [
      ['CR', '\r'],
      ['LF', '\n'],
      ['CRLF', '\r\n'],
      ['ETX', '\x03'],
      ['hex:1E04', '\x1e\x04'],
    ]) {
      const { f, push, frames } = framer(delimiter!);
      push(`abc${sep}def${sep}gh`);
      expect(frames).toEqual(['abc', 'def']);
      expect(f.pending()).toBe(2);
    }
  });

  it('joins a frame split across chunks, and a CRLF split between chunks', () => {
    const { push, frames } = framer('CRLF');
    push('ab', 'c\r', '\nde', 'f\r', '\n');
    expect(frames).toEqual(['abc', 'def']);
  });

  it('finds a three-byte delimiter split every possible way', () => {
    const { push, frames } = framer('hex:1E0403');
    push([0x41, 0x1e], [0x04], [0x03, 0x42, 0x1e, 0x04], [0x03], [0x43, 0x1e], [0x04, 0x03]);
    expect(frames).toEqual(['A', 'B', 'C']);
  });

  it('ignores empty frames and the LF of a CRLF scanner framed on CR', () => {
    const { push, frames } = framer('CR');
    push('\r\rabc\r\ndef\r\n\r');
    expect(frames).toEqual(['abc', 'def']);
  });

  it('drops the CR of a CRLF scanner framed on LF', () => {
    const { push, frames } = framer('LF');
    push('abc\r\n', 'def\r', '\n');
    expect(frames).toEqual(['abc', 'def']);
  });

  it('does not count a CRLF tail against maxLength, byte by byte', () => {
    const { push, frames, overlong } = framer('CR', 8);
    for (const byte of Buffer.from('\n01234567\r\n76543210\r')) push([byte]);
    expect(frames).toEqual(['01234567', '76543210']);
    expect(overlong).toEqual([]);
  });

  it('hands each frame of a many-line chunk over as bytes of its own', () => {
    const got: Buffer[] = [];
    const f = new Framer(
      { delimiter: parseDelimiter('CRLF'), maxLength: 16, silenceMs: 20 },
      { frame: (b) => got.push(b), overlong: () => {} },
    );
    // A port reads into a pool it reuses: the chunk's bytes change after push returns.
    const chunk = Buffer.from('\r\nA1\r\nBB22\r\n\r\nC3\r', 'latin1');
    f.push(chunk);
    chunk.fill(0x58);
    f.push(Buffer.from('\nD', 'latin1'));
    expect(got.map((b) => b.toString('latin1'))).toEqual(['A1', 'BB22', 'C3']);
    expect(got.map((b) => b.length)).toEqual([2, 4, 2]);
    expect(f.pending()).toBe(1);
  });

  it('keeps GS, control bytes and 0xFF inside a frame untouched', () => {
    const { push, frames } = framer('CR', 64);
    push([0x5d, 0x64, 0x32, 0x30, 0x31, 0x1d, 0x00, 0x08, 0xff, 0x04, 0x1e, 0x0d]);
    expect(frames).toEqual([']d201\x1d\x00\x08\xff\x04\x1e']);
  });

  it('rejects an overlong read once, discards the rest of it, and resynchronises', () => {
    const { f, push, frames, overlong } = framer('CR', 8);
    push('0123456789');
    push('abcdefghij'.repeat(100));
    expect(f.pending()).toBe(0);
    push('xyz\rgood\r');
    expect(overlong).toEqual(['01234567']);
    expect(frames).toEqual(['good']);
  });

  it('rejects a read that is overlong within one chunk', () => {
    const { push, frames, overlong } = framer('LF', 4);
    push('123456\nok\n');
    expect(overlong).toEqual(['1234']);
    expect(frames).toEqual(['ok']);
  });

  it('accepts a read of exactly maxLength and rejects one byte more', () => {
    const { push, frames, overlong } = framer('CR', 4);
    push('1234\r12345\r');
    expect(frames).toEqual(['1234']);
    expect(overlong).toEqual(['1234']);
  });

  it('resynchronises on a CRLF split across chunks while discarding', () => {
    const { f, push, frames, overlong } = framer('CRLF', 4);
    push('123456\r');
    expect(f.pending()).toBe(1); // only the CR that may start a delimiter
    push('\nok\r\n');
    expect(overlong).toEqual(['1234']);
    expect(frames).toEqual(['ok']);
  });

  it('a lone CR inside a discarded CRLF read does not end it', () => {
    const { push, frames, overlong } = framer('CRLF', 4);
    push('123456\rstill-the-same-read\r\nok\r\n');
    expect(overlong).toEqual(['1234']);
    expect(frames).toEqual(['ok']);
  });

  it('stays bounded through 1 MB with no delimiter, in 4 KB chunks', () => {
    const { f, push, frames, overlong } = framer('CR', 4096);
    const chunk = 'A'.repeat(4096);
    let most = 0;
    for (let i = 0; i < 256; i++) {
      push(chunk);
      most = Math.max(most, f.pending());
    }
    push('\rafter\r');
    expect(most).toBeLessThanOrEqual(4096 + 1);
    expect(overlong).toEqual(['A'.repeat(4096)]);
    expect(frames).toEqual(['after']);
  });

  it('frames by silence for scanners with no suffix', () => {
    vi.useFakeTimers();
    const { push, frames } = framer('silence', 64, 15);
    push(']C1', '00106141411234567897');
    vi.advanceTimersByTime(14);
    expect(frames).toEqual([]);
    push('8');
    vi.advanceTimersByTime(14);
    expect(frames).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(frames).toEqual([']C1001061414112345678978']);
    push('second');
    vi.advanceTimersByTime(15);
    expect(frames).toEqual([']C1001061414112345678978', 'second']);
  });

  it('does not end a silence-framed read while the driver holds the port, and times the silence from the release', () => {
    vi.useFakeTimers();
    const { f, push, frames } = framer('silence', 64, 15);
    push(']C1', '0010614141');
    f.hold();
    vi.advanceTimersByTime(1000);
    expect(frames).toEqual([]);
    f.release();
    push('1234567897');
    vi.advanceTimersByTime(14);
    expect(frames).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(frames).toEqual([']C100106141411234567897']);
    push('next');
    f.hold();
    f.release();
    vi.advanceTimersByTime(15);
    expect(frames).toEqual([']C100106141411234567897', 'next']);
  });

  it('rejects an overlong silence-framed read once and frames the next one', () => {
    vi.useFakeTimers();
    const { f, push, frames, overlong } = framer('silence', 4, 10);
    push('123', '456', '789');
    expect(f.pending()).toBe(0);
    vi.advanceTimersByTime(10);
    push('ok');
    vi.advanceTimersByTime(10);
    expect(overlong).toEqual(['1234']);
    expect(frames).toEqual(['ok']);
  });

  it('flush() drops an unfinished delimited read; stop() drops a silence one and its timer', () => {
    vi.useFakeTimers();
    const delimited = framer('CR');
    delimited.push('half');
    delimited.f.flush();
    expect(delimited.f.pending()).toBe(0);
    delimited.push('next\r');
    expect(delimited.frames).toEqual(['next']);

    const quiet = framer('silence', 64, 10);
    quiet.push('torn');
    quiet.f.stop();
    vi.advanceTimersByTime(50);
    expect(quiet.frames).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
