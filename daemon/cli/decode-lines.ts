/**
 * The lines of `readpoint decode`'s input, each bounded: a line longer than `maxBytes` is told by
 * its number and length and skipped as it streams past, never held whole, and the lines after it
 * are read as usual. Lines end at LF, CRLF or a lone CR (as node:readline splits them); each line
 * is its bytes as Latin-1, one character per byte.
 */
export type InputLine =
  | { readonly kind: 'line'; readonly number: number; readonly text: string }
  | { readonly kind: 'overlong'; readonly number: number; readonly length: number };

const LF = 0x0a;
const CR = 0x0d;

export async function* boundedLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<InputLine> {
  let parts: Buffer[] = [];
  let length = 0;
  let number = 0;
  let afterCr = false;
  const take = (chunk: Buffer, from: number, to: number) => {
    if (to === from) return;
    length += to - from;
    if (length <= maxBytes) parts.push(chunk.subarray(from, to));
    else parts = [];
  };
  const end = (): InputLine => {
    number++;
    const line: InputLine =
      length > maxBytes
        ? { kind: 'overlong', number, length }
        : { kind: 'line', number, text: Buffer.concat(parts).toString('latin1') };
    parts = [];
    length = 0;
    return line;
  };
  for await (const data of input) {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    let from: number = afterCr && chunk[0] === LF ? 1 : 0;
    afterCr = false;
    let lf: number = chunk.indexOf(LF, from);
    let cr: number = chunk.indexOf(CR, from);
    while (lf !== -1 || cr !== -1) {
      const at = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      take(chunk, from, at);
      yield end();
      from = at + 1;
      if (chunk[at] === CR) {
        if (from === chunk.length) afterCr = true;
        else if (chunk[from] === LF) from++;
      }
      if (lf !== -1 && lf < from) lf = chunk.indexOf(LF, from);
      if (cr !== -1 && cr < from) cr = chunk.indexOf(CR, from);
    }
    take(chunk, from, chunk.length);
  }
  if (length > 0) yield end();
}
