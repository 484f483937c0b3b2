/**
 * The data directory's lock: DIR/ariesdb.lock holds the pid of the one process
 * that owns DIR. A second opener fails with a clear message; a lock left by a
 * process that no longer exists (killed) is taken over.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DbError } from '../errors/index.ts';

export const LOCK_FILE = 'ariesdb.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DirLock {
  private constructor(readonly file: string) {}

  static acquire(dir: string): DirLock {
    const file = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // Not fsynced: a power cut ends the owner too, and a lock file it leaves empty or stale is taken over below.
        const fd = fs.openSync(file, 'wx', 0o600);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        return new DirLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new DbError(
          'object_not_in_prerequisite_state',
          `data directory "${dir}" is in use by another ariesdb process (pid ${holder})`,
          { hint: `Stop that process, or remove ${file} if you are sure it is not running.` },
        );
      }
      if (holder === process.pid) {
        throw new DbError('object_not_in_prerequisite_state', `data directory "${dir}" is already open in this process`);
      }
      // Stale: the owner is gone (killed). Take it over.
      fs.rmSync(file, { force: true });
    }
    throw new DbError('object_not_in_prerequisite_state', `could not lock data directory "${dir}"`);
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}
