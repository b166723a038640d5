/**
 * Outbox notes (daemon/outbox/notes.ts): kept across a close and a SIGKILL, written with the
 * outbox's batches, never counted as events, held through a failing disk, and left out of what
 * `readpoint outbox` reads.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { OutboxSnapshot } from '../../../daemon/outbox/inspect.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { OutboxNotes } from '../../../daemon/outbox/notes.js';
import { baseOptions, drain, put, recordingStore, tempDirs } from './helpers.js';

const dir = tempDirs();
const fast = { retry: { minMs: 5, maxMs: 20 } };
const outboxModule = join(import.meta.dirname, '../../../dist/daemon/outbox/level-outbox.js');

describe('outbox notes', () => {
  it('keeps a note across a close, beside the entries, without counting it as one', async () => {
    const d = dir();
    const o = new LevelOutbox(d, baseOptions, silentLogger());
    await o.open();
    expect(o.note('summary')).toBeUndefined();
    await put(o, 3);
    const first = o.keepNote('summary', '{"n":1}');
    const second = o.keepNote('summary', '{"n":2}');
    expect(o.note('summary')).toBe('{"n":2}'); // the latest at once, written or not
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(o.stats()).toMatchObject({ depth: 3, appended: 3 });
    await o.close();
    // `readpoint outbox stats|export` see the three events and nothing else.
    const snapshot = await OutboxSnapshot.open(d);
    expect(await snapshot.summary()).toMatchObject({
      depth: 3,
      firstSeq: 1,
      lastSeq: 3,
      damaged: 0,
      quarantined: 0,
    });
    const exported: number[] = [];
    for await (const e of snapshot.events()) exported.push(e.seq);
    expect(exported).toEqual([1, 2, 3]);
    await snapshot.close();

    const again = new LevelOutbox(d, baseOptions, silentLogger());
    await again.open();
    expect(again.note('summary')).toBe('{"n":2}');
    expect(again.stats().depth).toBe(3);
    expect(await drain(again)).toEqual([1, 2, 3]);
    await again.close();
  });

  it('writes a note kept just before close, with nothing else to write', async () => {
    const d = dir();
    const o = new LevelOutbox(d, baseOptions, silentLogger());
    await o.open();
    const written = o.keepNote('summary', 'at the stop');
    await o.close();
    expect(await written).toBe(true);
    const again = new LevelOutbox(d, baseOptions, silentLogger());
    await again.open();
    expect(again.note('summary')).toBe('at the stop');
    await again.close();
  });

  it('holds a note while the disk is full, writes it once the store recovers, and answers false if closed first', async () => {
    const store = recordingStore();
    const d = dir();
    const o = new LevelOutbox(d, baseOptions, silentLogger(), { ...fast, writeBatch: store.writeBatch });
    await o.open();
    store.state.failing = 2;
    const written = await o.keepNote('summary', 'through a full disk');
    expect(written).toBe(true);
    expect(store.calls.map((c) => c.failed)).toEqual([true, true, false]);
    expect(store.calls.at(-1)!.ops).toContainEqual({
      type: 'put',
      key: 'm!note!summary',
      value: 'through a full disk',
    });

    store.state.failing = Number.POSITIVE_INFINITY;
    const lost = o.keepNote('summary', 'never written');
    await expect.poll(() => o.stats().writeError).toBe('ENOSPC: no space left on device');
    await o.close();
    expect(await lost).toBe(false);
    const again = new LevelOutbox(d, baseOptions, silentLogger());
    await again.open();
    expect(again.note('summary')).toBe('through a full disk');
    await again.close();
  });

  it('survives a SIGKILL once keepNote has resolved', async () => {
    expect(existsSync(outboxModule), `${outboxModule} is missing: run npm run build first`).toBe(true);
    const d = dir();
    const script = `
      const { LevelOutbox } = await import(${JSON.stringify(outboxModule)});
      const o = new LevelOutbox(${JSON.stringify(d)}, { maxEvents: 1000, maxBytes: 1 << 20, overflow: 'drop-oldest', batchMax: 64 },
        { info() {}, warn() {}, error() {}, debug() {}, child() { return this; } });
      await o.open();
      const written = await o.keepNote('summary', 'before the crash');
      process.stdout.write(written ? 'kept\\n' : 'lost\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const said = await new Promise<string>((resolve) =>
      child.stdout.once('data', (b: Buffer) => resolve(b.toString())),
    );
    expect(said).toBe('kept\n');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const o = new LevelOutbox(d, baseOptions, silentLogger());
    await o.open();
    expect(o.note('summary')).toBe('before the crash');
    await o.close();
  });

  it('takes only names that cannot reach into the entries or the state', () => {
    const notes = new OutboxNotes();
    for (const bad of ['', 'Summary', '../state', 'a!b', 'x'.repeat(41), 'é'])
      expect(() => notes.keep(bad, 'v'), bad).toThrow(/^not a note name/);
    void notes.keep('summary-2', 'v');
    expect(notes.ops().ops).toEqual([{ type: 'put', key: 'm!note!summary-2', value: 'v' }]);
  });
});
