/**
 * File access for everything that touches the disk. The engine never calls
 * node:fs directly: it goes through FileSystem, so tests can substitute a
 * fault-injecting layer that drops unsynced writes, tears pages, fails fsync
 * or reports a full disk (DESIGN.md, "Testing").
 *
 * Contract: a write is durable only after sync()/syncAsync() on the same file
 * returns; a rename or unlink is durable only after syncDir() on its folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fdatasyncPolled, startPolledSync, type PolledSync } from './polled-sync.ts';

export interface FileHandle {
  readonly path: string;
  /** Reads up to buf.length bytes at offset; returns the count read (short at end of file). */
  read(buf: Uint8Array, offset: number): number;
  write(buf: Uint8Array, offset: number): void;
  /** fdatasync: data and the metadata needed to read it back. */
  sync(): void;
  syncAsync(): Promise<void>;
  /** sync(), done by a helper thread while this one polls (src/io/polled-sync.ts, P1): absent where not possible. */
  syncPolled?(): void;
  /** sync() started on that helper without waiting (polled-sync.ts, P5): null when it is busy, absent where not possible. */
  startSyncPolled?(): PolledSync | null;
  size(): number;
  truncate(size: number): void;
  close(): void;
}

export interface FileSystem {
  open(file: string, opts: { create: boolean }): FileHandle;
  exists(file: string): boolean;
  readFile(file: string): Uint8Array | null;
  /** Writes a whole file durably and atomically: temp file, fsync, rename, fsync of the folder. */
  writeFileAtomic(file: string, data: Uint8Array): void;
  unlink(file: string): void;
  /** Not durable until syncDir() of the target's folder. */
  rename(from: string, to: string): void;
  list(dir: string): string[];
  mkdir(dir: string): void;
  syncDir(dir: string): void;
}

class NodeFile implements FileHandle {
  /** -1 once closed: a late read or write fails instead of reaching whatever file reuses the number. */
  fd: number;

  constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  read(buf: Uint8Array, offset: number): number {
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(this.fd, buf, done, buf.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  write(buf: Uint8Array, offset: number): void {
    let done = 0;
    while (done < buf.length) {
      done += fs.writeSync(this.fd, buf, done, buf.length - done, offset + done);
    }
  }

  sync(): void {
    fs.fdatasyncSync(this.fd);
  }

  syncAsync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  syncPolled(): void {
    fdatasyncPolled(this.fd, () => this.sync());
  }

  startSyncPolled(): PolledSync | null {
    return startPolledSync(this.fd, () => this.sync());
  }

  size(): number {
    return fs.fstatSync(this.fd).size;
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size);
  }

  close(): void {
    const fd = this.fd;
    this.fd = -1;
    fs.closeSync(fd);
  }
}

export const nodeFileSystem: FileSystem = {
  open(file, { create }) {
    const flags = create ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR;
    return new NodeFile(file, fs.openSync(file, flags, 0o600));
  },
  exists: (file) => fs.existsSync(file),
  readFile(file) {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  },
  writeFileAtomic(file, data) {
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    syncDirectory(path.dirname(file));
  },
  unlink: (file) => fs.rmSync(file, { force: true }),
  rename: (from, to) => fs.renameSync(from, to),
  list: (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []),
  mkdir: (dir) => fs.mkdirSync(dir, { recursive: true }),
  syncDir: (dir) => syncDirectory(dir),
};

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
