/**
 * The control file (src/storage/control.ts): a checksummed JSON body replaced
 * atomically (C1). Any damaged byte must surface as data_corrupted (XX001),
 * never as a parsed but wrong checkpoint location.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTROL_VERSION, readControl, writeControl, type ControlData } from '../../src/storage/control.ts';
import { PAGE_SIZE } from '../../src/storage/page.ts';
import { nodeFileSystem } from '../../src/io/file.ts';
import { DbError } from '../../src/errors/index.ts';
import { Database } from '../../src/sql/database.ts';

const dirs: string[] = [];
function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-control-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const sample: ControlData = {
  version: CONTROL_VERSION,
  pageSize: PAGE_SIZE,
  walSegmentSize: 16 << 20,
  state: 'in production',
  checkpointLsn: 2 ** 33 + 4096,
  redoLsn: 2 ** 33 + 1024,
  nextXid: 731,
  checkpointTime: '2024-05-01T12:00:00.000Z',
  lastRecovery: {
    checkpointLsn: 1,
    redoStartLsn: 2,
    redoEndLsn: 3,
    recordsScanned: 4,
    recordsReplayed: 5,
    transactionsRolledBack: 2,
    rolledBackXids: [17, 19],
    clrsWritten: 6,
    tornTailBytes: 7,
    durationMs: 8,
    finishedAt: '2024-05-01T12:00:01.000Z',
  },
};

function corruptedCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DbError ? e.code : `not a DbError: ${String(e)}`;
  }
  return undefined;
}

describe('control file', () => {
  it('round-trips', () => {
    const file = path.join(tmpdir(), 'control');
    writeControl(nodeFileSystem, file, sample);
    expect(readControl(nodeFileSystem, file)).toEqual(sample);
  });

  it('refuses a data directory of another format version (55000), naming both versions', () => {
    for (const version of [1, CONTROL_VERSION + 1]) {
      const file = path.join(tmpdir(), 'control');
      writeControl(nodeFileSystem, file, { ...sample, version });
      let err: unknown;
      try { readControl(nodeFileSystem, file); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(DbError);
      expect((err as DbError).code).toBe('55000');
      expect((err as DbError).message).toBe('database files are incompatible with server');
      expect((err as DbError).detail).toContain(`format version ${version}`);
    }
  });

  it('opens a directory of format version 2 and stamps it with the current one (an older server then refuses it)', async () => {
    const dir = tmpdir();
    let db = await Database.open(dir);
    await db.session().query('CREATE TABLE t (a int PRIMARY KEY); INSERT INTO t VALUES (1), (2)');
    await db.close();
    const file = path.join(dir, 'control');
    writeControl(nodeFileSystem, file, { ...readControl(nodeFileSystem, file)!, version: 2 });
    db = await Database.open(dir);
    expect(readControl(nodeFileSystem, file)!.version).toBe(CONTROL_VERSION);
    expect((await db.session().query('SELECT count(*) FROM t')).rows).toEqual([[2]]);
    await db.close();
  });

  it('reads as null when absent', () => {
    expect(readControl(nodeFileSystem, path.join(tmpdir(), 'control'))).toBeNull();
  });

  it('any flipped byte is data_corrupted', () => {
    const file = path.join(tmpdir(), 'control');
    writeControl(nodeFileSystem, file, sample);
    const good = fs.readFileSync(file);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 0x01;
      fs.writeFileSync(file, bad);
      expect(corruptedCode(() => readControl(nodeFileSystem, file)), `byte ${i}`).toBe('XX001');
    }
  });

  it('a truncated file is data_corrupted', () => {
    const file = path.join(tmpdir(), 'control');
    writeControl(nodeFileSystem, file, sample);
    const good = fs.readFileSync(file);
    for (const n of [1, 8, 15, 16, good.length - 1]) {
      fs.writeFileSync(file, good.subarray(0, n));
      expect(corruptedCode(() => readControl(nodeFileSystem, file)), `${n} bytes`).toBe('XX001');
    }
  });

  it('is replaced atomically, leaving no temp file (C1)', () => {
    const dir = tmpdir();
    const file = path.join(dir, 'control');
    writeControl(nodeFileSystem, file, sample);
    writeControl(nodeFileSystem, file, { ...sample, state: 'shut down', checkpointLsn: 99 });
    expect(fs.readdirSync(dir)).toEqual(['control']);
    expect(readControl(nodeFileSystem, file)).toMatchObject({ state: 'shut down', checkpointLsn: 99 });
  });
});
