/** Shared by the WAL tests: temp WAL folders, small segments, writing and scanning a log. */
import { afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeFileSystem, type FileSystem } from '../../src/io/file.ts';
import { Kind, type Body, type WalRecord } from '../../src/wal/record.ts';
import { WalReader, type WalEnd } from '../../src/wal/reader.ts';
import { WalWriter } from '../../src/wal/writer.ts';
import type { Lsn } from '../../src/wal/lsn.ts';

/** 64 KiB: small enough that a few hundred records cross several segments. */
export const SEG = 64 * 1024;
/** The first segment starts at SEG, so LSN 0 is never valid. */
export const FIRST_LSN: Lsn = SEG;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh, empty WAL folder, removed after the test. */
export function walDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-wal-'));
  dirs.push(d);
  const wal = path.join(d, 'wal');
  fs.mkdirSync(wal);
  return wal;
}

export const insert = (n: number, seed = n): Body => ({
  kind: Kind.HeapInsert,
  page: 1 + (seed % 50),
  slot: seed % 100,
  tuple: Buffer.alloc(n, seed & 0xff),
});

/** Appends bodies as one transaction (xid 1, chained prevLsn), flushes, closes; returns their LSNs and the end. */
export function writeLog(dir: string, bodies: Body[], fsys: FileSystem = nodeFileSystem): { lsns: Lsn[]; end: Lsn } {
  const w = new WalWriter(fsys, dir, SEG, FIRST_LSN);
  const lsns: Lsn[] = [];
  let prev: Lsn = 0;
  for (const b of bodies) lsns.push((prev = w.append(b, 1, prev)));
  w.flushSync(w.insertLsn);
  const end = w.insertLsn;
  w.close();
  return { lsns, end };
}

/** Every record from FIRST_LSN (SWITCH records left out unless asked for) and where the log ended. */
export function scanLog(dir: string, opts: { switches?: boolean } = {}): { records: WalRecord[]; end: WalEnd } {
  const r = new WalReader(nodeFileSystem, dir, SEG);
  const records = [...r.scan(FIRST_LSN)].filter((x) => opts.switches || x.kind !== Kind.Switch);
  return { records, end: r.end! };
}
