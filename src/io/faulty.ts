/**
 * A fault-injecting FileSystem for tests (DESIGN.md, "Testing"), in the
 * spirit of SQLite's crash-test VFS.
 *
 * It writes through to the real files, so the engine above it reads what it
 * wrote, and remembers, for every 512-byte sector written since the file's
 * last sync, each version the sector has had (version 0 is what was durable).
 * powerLoss(rng) then decides, sector by sector, which version "reached the
 * disk": the durable one (the write was dropped), the newest (kept), or one
 * in between; a page or record whose sectors land on different versions is
 * torn. Synced data is never lost. Directory entries created or renamed but
 * not yet synced with syncDir may vanish too.
 *
 * It also fails on request: `crashAfterOps` makes every operation after the
 * Nth throw PowerLoss (the machine stopped there); `failSync` makes
 * fdatasync fail with EIO; `diskFull` makes writes that need new space (or
 * every write) fail with ENOSPC. Every write and sync is counted in `ops`,
 * which the every-crash-point test uses to replay a workload prefix by prefix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFileSystem, type FileHandle, type FileSystem } from './file.ts';
import type { PolledSync } from './polled-sync.ts';

export const SECTOR = 512;

export class PowerLoss extends Error {
  constructor() {
    super('simulated power loss: the machine is off');
    this.name = 'PowerLoss';
  }
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${message}`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

interface FileState {
  /** sector index → versions since the last sync; [0] is the durable content. */
  pending: Map<number, Buffer[]>;
}

export interface FaultyOptions {
  crashAfterOps?: number;
}

export class FaultyFileSystem implements FileSystem {
  ops = 0;
  crashAfterOps = Infinity;
  dead = false;
  /** Called once when the machine stops (crashAfterOps reached). */
  onDeath: (() => void) | null = null;
  /** Makes fdatasync fail with EIO: for every file, or for those the function picks. */
  failSync: boolean | ((file: string) => boolean) = false;
  /** 'off', 'grow' (writes past a file's end fail), or 'all' (every write fails). */
  diskFull: 'off' | 'grow' | 'all' = 'off';
  readonly trace: string[] = [];
  private readonly files = new Map<string, FileState>();
  /** The sectors the most recent write covered, for 'tear-last'. */
  private lastWrite: { file: string; sectors: number[] } | null = null;
  /** Directory entries not yet made durable: created files and renames, newest last. */
  private pendingDirOps: { kind: 'create' | 'rename'; path: string; from?: string }[] = [];

  constructor(opts: FaultyOptions = {}) {
    if (opts.crashAfterOps !== undefined) this.crashAfterOps = opts.crashAfterOps;
  }

  /** Counts an operation and stops the machine when its time has come. */
  private step(what: string): void {
    if (this.dead) throw new PowerLoss();
    if (this.ops >= this.crashAfterOps) {
      this.dead = true;
      const cb = this.onDeath;
      if (cb) queueMicrotask(cb);
      throw new PowerLoss();
    }
    this.ops++;
    this.trace.push(what);
  }

  private state(file: string): FileState {
    let s = this.files.get(file);
    if (!s) {
      s = { pending: new Map() };
      this.files.set(file, s);
    }
    return s;
  }

  /** Records the sectors a write covers, before (version 0) and after. */
  recordWrite(file: string, fd: number, data: Uint8Array, offset: number): void {
    const s = this.state(file);
    const first = Math.floor(offset / SECTOR);
    const last = Math.floor((offset + data.length - 1) / SECTOR);
    for (let sec = first; sec <= last; sec++) {
      if (!s.pending.has(sec)) s.pending.set(sec, [readSector(fd, sec)]);
    }
    writeFully(fd, data, offset);
    for (let sec = first; sec <= last; sec++) s.pending.get(sec)!.push(readSector(fd, sec));
    this.lastWrite = { file, sectors: Array.from({ length: last - first + 1 }, (_, i) => first + i) };
  }

  synced(file: string): void {
    this.state(file).pending.clear();
  }

  /** How many versions each unsynced sector of file has now: what an fdatasync starting now makes durable. */
  syncPoint(file: string): Map<number, number> {
    return new Map(Array.from(this.state(file).pending, ([sec, versions]) => [sec, versions.length]));
  }

  /** An fdatasync that began at `point` has ended: the versions written since stay unsynced. */
  syncedTo(file: string, point: Map<number, number>): void {
    const s = this.state(file);
    for (const [sec, n] of point) {
      const versions = s.pending.get(sec);
      if (!versions) continue;
      if (versions.length === n) s.pending.delete(sec);
      else s.pending.set(sec, versions.slice(n - 1));
    }
  }

  /**
   * The machine loses power: each unsynced sector keeps a version chosen by
   * rng (0 = the write never reached the disk), unsynced directory entries
   * may vanish. Afterwards the real files hold the state that "reached the disk".
   */
  powerLoss(rng: () => number, mode: 'random' | 'keep' | 'drop' | 'tear-last' = 'random'): { sectors: number; torn: number; dataFileTorn: number } {
    this.dead = true;
    let sectors = 0;
    let torn = 0;
    let dataFileTorn = 0;
    for (const [file, s] of this.files) {
      if (!fs.existsSync(file)) continue;
      const fd = fs.openSync(file, 'r+');
      try {
        for (const [sec, versions] of s.pending) {
          sectors++;
          const newest = versions.length - 1;
          const inLast = this.lastWrite?.file === file && this.lastWrite.sectors.includes(sec);
          // tear-last: everything written is kept, but the last write keeps only its first half.
          const pick = mode === 'keep' ? newest : mode === 'drop' ? 0
            : mode === 'tear-last' ? (inLast && sec > this.lastWrite!.sectors[0]! + (this.lastWrite!.sectors.length >> 1) - 1 ? newest - 1 : newest)
            : Math.floor(rng() * versions.length);
          if (pick !== versions.length - 1) {
            torn++;
            if (path.basename(file) === 'data') dataFileTorn++;
            if (process.env.ARIESDB_FAULTY_DEBUG) process.stderr.write(`power loss: ${file} sector ${sec} keeps version ${pick} of ${versions.length - 1}\n`);
          }
          writeFully(fd, versions[pick]!, sec * SECTOR);
        }
        // The file keeps its current length: sectors that lost their write read as zeros, like never-written space.
      } finally {
        fs.closeSync(fd);
      }
      s.pending.clear();
    }
    for (const op of this.pendingDirOps.reverse()) {
      if (mode === 'keep' || mode === 'tear-last' || (mode === 'random' && rng() < 0.5)) continue;
      if (op.kind === 'create') fs.rmSync(op.path, { force: true });
      else if (op.kind === 'rename' && fs.existsSync(op.path)) fs.renameSync(op.path, op.from!);
    }
    this.pendingDirOps = [];
    return { sectors, torn, dataFileTorn };
  }

  // ---- FileSystem ----

  open(file: string, opts: { create: boolean }): FileHandle {
    this.step(`open ${path.basename(file)}`);
    const existed = fs.existsSync(file);
    const h = nodeFileSystem.open(file, opts);
    if (!existed) this.pendingDirOps.push({ kind: 'create', path: file });
    this.state(file);
    const fd = (h as { fd?: number }).fd ?? -1;
    return new FaultyFile(this, file, h, fd);
  }

  exists(file: string): boolean {
    if (this.dead) throw new PowerLoss();
    return nodeFileSystem.exists(file);
  }

  readFile(file: string): Uint8Array | null {
    if (this.dead) throw new PowerLoss();
    return nodeFileSystem.readFile(file);
  }

  writeFileAtomic(file: string, data: Uint8Array): void {
    this.step(`write-atomic ${path.basename(file)}`);
    if (this.diskFull !== 'off') throw errno('ENOSPC', `no space left on device, write '${file}'`);
    nodeFileSystem.writeFileAtomic(file, data);
    this.files.delete(file);
    // writeFileAtomic syncs the folder: every entry in it is durable now.
    this.pendingDirOps = this.pendingDirOps.filter((op) => path.dirname(op.path) !== path.dirname(file));
  }

  unlink(file: string): void {
    this.step(`unlink ${path.basename(file)}`);
    nodeFileSystem.unlink(file);
    this.files.delete(file);
  }

  rename(from: string, to: string): void {
    this.step(`rename ${path.basename(from)}`);
    nodeFileSystem.rename(from, to);
    const s = this.files.get(from);
    if (s) {
      this.files.delete(from);
      this.files.set(to, s);
    }
    this.pendingDirOps.push({ kind: 'rename', path: to, from });
  }

  list(dir: string): string[] {
    if (this.dead) throw new PowerLoss();
    return nodeFileSystem.list(dir);
  }

  mkdir(dir: string): void {
    if (this.dead) throw new PowerLoss();
    nodeFileSystem.mkdir(dir);
  }

  syncDir(dir: string): void {
    this.step(`syncdir ${path.basename(dir)}`);
    nodeFileSystem.syncDir(dir);
    this.pendingDirOps = this.pendingDirOps.filter((op) => path.dirname(op.path) !== dir);
  }

  checkWrite(file: string, fd: number, data: Uint8Array, offset: number): void {
    this.step(`write ${path.basename(file)} @${offset} +${data.length}`);
    if (this.diskFull === 'all' || (this.diskFull === 'grow' && offset + data.length > fs.fstatSync(fd).size)) {
      throw errno('ENOSPC', `no space left on device, write '${file}'`);
    }
  }

  checkSync(file: string): void {
    this.step(`sync ${path.basename(file)}`);
    if (this.failSync === true || (typeof this.failSync === 'function' && this.failSync(file))) {
      throw errno('EIO', `i/o error, fdatasync '${file}'`);
    }
  }
}

class FaultyFile implements FileHandle {
  constructor(
    private readonly fsys: FaultyFileSystem,
    readonly path: string,
    private readonly inner: FileHandle,
    private readonly fd: number,
  ) {}

  read(buf: Uint8Array, offset: number): number {
    if (this.fsys.dead) throw new PowerLoss();
    return this.inner.read(buf, offset);
  }

  write(buf: Uint8Array, offset: number): void {
    if (buf.length === 0) return;
    this.fsys.checkWrite(this.path, this.fd, buf, offset);
    this.fsys.recordWrite(this.path, this.fd, buf, offset);
  }

  sync(): void {
    this.fsys.checkSync(this.path);
    this.inner.sync();
    this.fsys.synced(this.path);
  }

  async syncAsync(): Promise<void> {
    this.sync();
  }

  /**
   * An fdatasync on another thread: it covers what was written before it
   * began, not what is written while it runs, and ends (done()) after the
   * caller has asked twice, so callers meet both answers. Its failure, or
   * the power going, shows when the caller waits.
   */
  startSyncPolled(): PolledSync {
    const point = this.fsys.syncPoint(this.path);
    let asked = 0;
    let ended = false;
    return {
      done: () => ended || ++asked > 2,
      wait: () => {
        if (ended) return;
        ended = true;
        this.fsys.checkSync(this.path);
        this.inner.sync();
        this.fsys.syncedTo(this.path, point);
      },
    };
  }

  size(): number {
    if (this.fsys.dead) throw new PowerLoss();
    return this.inner.size();
  }

  truncate(size: number): void {
    this.fsys.checkWrite(this.path, this.fd, new Uint8Array(0), size);
    this.inner.truncate(size);
  }

  close(): void {
    try {
      this.inner.close();
    } catch {
      // closing after a simulated power loss: nothing to do
    }
  }
}

function readSector(fd: number, sec: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  fs.readSync(fd, b, 0, SECTOR, sec * SECTOR);
  return b;
}

function writeFully(fd: number, data: Uint8Array, offset: number): void {
  for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done, offset + done);
}
