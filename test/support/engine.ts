/** Helpers shared by the engine tests: temporary data directories, and a heap's rows as text. */
import { afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/index.ts';

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
