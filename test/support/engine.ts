/** Helpers shared by the engine tests: temporary data directories, a heap's rows as text, a gate on the WAL's fdatasync. */
import { afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/index.ts';
import { nodeFileSystem, type FileSystem } from '../../src/io/file.ts';

/** Returns a maker of fresh temporary directories, all removed after each test. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** The rows of heap a new transaction sees, as UTF-8 strings, sorted. */
export function heapRows(e: Engine, heap: number): string[] {
  const t = e.begin();
  const out = [...e.scan(t, heap)].map(([, r]) => Buffer.from(r).toString()).sort();
  e.rollback(t);
  return out;
}

/** `base` with its asynchronous fdatasyncs (group commit's) held while the gate is closed; patched in place. */
export function gatedFs(base: FileSystem = { ...nodeFileSystem }): { fs: FileSystem; close(): void; open(): void } {
  let gate: Promise<void> = Promise.resolve();
  let release = (): void => {};
  const open = base.open.bind(base);
  base.open = (file, opts) => {
    const h = open(file, opts);
    const sync = h.syncAsync.bind(h);
    h.syncAsync = async () => { await gate; return sync(); };
    return h;
  };
  return {
    fs: base,
    close() { gate = new Promise((r) => { release = r; }); },
    open() { release(); },
  };
}
