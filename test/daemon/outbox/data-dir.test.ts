/**
 * Which open failure of the outbox is which data-directory error. The errors are shaped as Node
 * and classic-level report them (measured: a LOCK held elsewhere, a LOCK or log the user may not
 * open, a LOCK on a read-only tmpfs, a mkdir in a directory the user may not write).
 */
import { describe, expect, it } from 'vitest';
import {
  DataDirDeniedError,
  DataDirInUseError,
  DataDirReadOnlyError,
  dataDirFailure,
} from '../../../daemon/outbox/data-dir.js';

const DIR = '/srv/rp/data/outbox';

/** What classic-level rejects `open()` with: its own error, the cause inside. */
function levelError(code: string, message: string): Error {
  return Object.assign(new Error('Database failed to open'), {
    code: 'LEVEL_DATABASE_NOT_OPEN',
    cause: Object.assign(new Error(message), { code }),
  });
}

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

describe('dataDirFailure', () => {
  it('only a lock held elsewhere is "in use"', () => {
    const held = dataDirFailure(
      DIR,
      levelError('LEVEL_LOCKED', `IO error: lock ${DIR}/LOCK: Resource temporarily unavailable`),
    );
    expect(held).toBeInstanceOf(DataDirInUseError);
    expect(held!.message).toBe(
      `the data directory ${DIR} is in use by another readpoint (its LevelDB lock is held)`,
    );
  });

  it('a LOCK or log the user may not open is permission denied on that file, with the chown', () => {
    for (const file of ['LOCK', '000005.log']) {
      const denied = dataDirFailure(
        DIR,
        levelError('LEVEL_IO_ERROR', `IO error: ${DIR}/${file}: Permission denied`),
      );
      expect(denied).toBeInstanceOf(DataDirDeniedError);
      expect((denied as DataDirDeniedError).path).toBe(`${DIR}/${file}`);
      expect(denied!.message).toMatch(
        /^cannot write the outbox in \S+: permission denied on \S+ \(readpoint runs as /,
      );
      expect(denied!.message).toContain(': /srv/rp/data)');
      expect(denied!.message).not.toMatch(/in use|lock is held/);
    }
  });

  it('a Node EACCES or EPERM (mkdir, chmod) is permission denied on its path', () => {
    for (const code of ['EACCES', 'EPERM']) {
      const denied = dataDirFailure(DIR, errno(code, 'mkdir', DIR));
      expect(denied).toBeInstanceOf(DataDirDeniedError);
      expect((denied as DataDirDeniedError).path).toBe(DIR);
    }
  });

  it('a read-only file system, from LevelDB or from Node, is read-only, naming the path', () => {
    const level = dataDirFailure(
      DIR,
      levelError('LEVEL_IO_ERROR', `IO error: ${DIR}/LOCK: Read-only file system`),
    );
    expect(level).toBeInstanceOf(DataDirReadOnlyError);
    expect(level!.message).toContain(`${DIR}/LOCK is on a read-only file system`);
    expect(level!.message).toContain('readpoint outbox stats --data-dir /srv/rp/data');
    const node = dataDirFailure(DIR, errno('EROFS', 'chmod', `${DIR}/CURRENT`));
    expect((node as DataDirReadOnlyError).path).toBe(`${DIR}/CURRENT`);
  });

  it('anything else is none of them', () => {
    expect(
      dataDirFailure(DIR, levelError('LEVEL_CORRUPTION', 'Corruption: bad record length')),
    ).toBeUndefined();
    expect(dataDirFailure(DIR, errno('ENOSPC', 'open', `${DIR}/LOCK`))).toBeUndefined();
    expect(dataDirFailure(DIR, new Error('lock'))).toBeUndefined();
  });
});
