/**
 * The data directory lock (src/storage/lock.ts): one owner per directory;
 * a lock left by a dead process is taken over, one held by a live process
 * is refused with a message naming its pid.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { DirLock, LOCK_FILE } from '../../src/storage/lock.ts';
import { DbError } from '../../src/errors/index.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function thrown(fn: () => unknown): DbError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DbError) return e;
    throw e;
  }
  throw new Error('expected a DbError');
}

const lockHolder = (dir: string): string => fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim();

describe('data directory lock', () => {
  it('writes our pid, and is gone after release', () => {
    const dir = tmpdir();
    const lock = DirLock.acquire(dir);
    expect(lockHolder(dir)).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a second acquire in the same process', () => {
    const dir = tmpdir();
    const lock = DirLock.acquire(dir);
    const e = thrown(() => DirLock.acquire(dir));
    expect(e.code).toBe('55000');
    expect(e.message).toMatch(/already open in this process/);
    lock.release();
    DirLock.acquire(dir).release();
  });

  it('takes over a lock left by a process that has exited', async () => {
    const dir = tmpdir();
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    fs.writeFileSync(path.join(dir, LOCK_FILE), `${child.pid}\n`);
    const lock = DirLock.acquire(dir);
    expect(lockHolder(dir)).toBe(String(process.pid));
    lock.release();
  });

  it('takes over a lock file that holds no pid', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, LOCK_FILE), 'garbage');
    DirLock.acquire(dir).release();
  });

  it('refuses a lock held by a live process, naming its pid', async () => {
    const dir = tmpdir();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    children.push(child);
    await once(child, 'spawn');
    fs.writeFileSync(path.join(dir, LOCK_FILE), `${child.pid}\n`);
    const e = thrown(() => DirLock.acquire(dir));
    expect(e.code).toBe('55000');
    expect(e.message).toContain(`pid ${child.pid}`);
    expect(lockHolder(dir)).toBe(String(child.pid)); // left alone
  });
});
