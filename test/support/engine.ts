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

/**
 * `base` with its asynchronous fdatasyncs (group commit's, a checkpoint's)
 * held while the gate is closed; patched in place. `dataFileAfterSync`: only
 * the data file's, held after the fdatasync is done (`held` says when one is).
 */
export function gatedFs(base: FileSystem = { ...nodeFileSystem }, opts: { dataFileAfterSync?: boolean } = {}): {
  fs: FileSystem; close(): void; open(): void; readonly held: boolean;
} {
  let gate: Promise<void> = Promise.resolve();
  let release = (): void => {};
  let held = false;
  const open = base.open.bind(base);
  base.open = (file, o) => {
    const h = open(file, o);
    const sync = h.syncAsync.bind(h);
    if (!opts.dataFileAfterSync) h.syncAsync = async () => { await gate; return sync(); };
    else if (path.basename(file) === 'data') h.syncAsync = async () => { await sync(); held = true; await gate; held = false; };
    return h;
  };
  return {
    fs: base,
    close() { gate = new Promise((r) => { release = r; }); },
    open() { release(); },
    get held() { return held; },
  };
}
