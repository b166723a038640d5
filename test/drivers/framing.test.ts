import { describe, expect, it } from 'vitest';
import { Framer, parseDelimiter } from '../../drivers/framing.js';

function framer(delimiter: string, maxLength = 16, silenceMs = 20) {
  const frames: string[] = [];
  const overlong: string[] = [];
  const f = new Framer(
    { delimiter: parseDelimiter(delimiter), maxLength, silenceMs },
    { frame: (b) => frames.push(b.toString('latin1')), overlong: (b) => overlong.push(b.toString('latin1')) },
  );
  return { f, frames, overlong };
}

describe('Framer', () => {
  it('frames on CR, LF, CRLF, ETX and hex delimiters', () => {
    for (const [delimiter, sep] of [
      ['CR', '\r'],
      ['LF', '\n'],
      ['CRLF', '\r\n'],
      ['ETX', '\x03'],
      ['hex:1E04', '\x1e\x04'],
    ]) {
      const { f, frames } = framer(delimiter!);
      f.push(Buffer.from(`abc${sep}def${sep}gh`, 'latin1'));
      expect(frames).toEqual(['abc', 'def']);
      expect(f.pending()).toBe(2);
    }
  });

  it('joins a frame split across chunks, and a CRLF split between chunks', () => {
    const { f, frames } = framer('CRLF');
    for (const chunk of ['ab', 'c\r', '\nde', 'f\r', '\n']) f.push(Buffer.from(chunk));
    expect(frames).toEqual(['abc', 'def']);
  });

  it('ignores empty frames and the LF of a CRLF scanner framed on CR', () => {
    const { f, frames } = framer('CR');
    f.push(Buffer.from('\r\rabc\r\ndef\r\n\r'));
    expect(frames).toEqual(['abc', 'def']);
  });

  it('keeps GS and other bytes inside a frame untouched', () => {
    const { f, frames } = framer('CR', 64);
    f.push(Buffer.from(']d20109506000134352\x1d10A\xff\r', 'latin1'));
    expect(frames).toEqual([']d20109506000134352\x1d10A\xff']);
  });

  it('rejects an overlong read once, discards the rest of it, and resynchronises', () => {
    const { f, frames, overlong } = framer('CR', 8);
    f.push(Buffer.from('0123456789'));
    f.push(Buffer.from('abcdefghij'.repeat(100)));
    expect(f.pending()).toBeLessThanOrEqual(1);
    f.push(Buffer.from('xyz\rgood\r'));
    expect(overlong).toEqual(['01234567']);
    expect(frames).toEqual(['good']);
  });

  it('rejects a read that is overlong within one chunk', () => {
    const { f, frames, overlong } = framer('LF', 4);
    f.push(Buffer.from('123456\nok\n'));
    expect(overlong).toEqual(['1234']);
    expect(frames).toEqual(['ok']);
  });

  it('frames by silence for scanners with no suffix', async () => {
    const { f, frames } = framer('silence', 64, 15);
    f.push(Buffer.from(']C1'));
    f.push(Buffer.from('00106141411234567897'));
    await new Promise((r) => setTimeout(r, 60));
    f.push(Buffer.from('second'));
    await new Promise((r) => setTimeout(r, 60));
    expect(frames).toEqual([']C100106141411234567897', 'second']);
  });

  it('throws a TypeError on a delimiter it does not know', () => {
    expect(() => parseDelimiter('TAB')).toThrow(TypeError);
  });
});
