/**
 * The control file: where restart begins. It names the last completed
 * checkpoint and keeps the last recovery's report, for `ariesdb controldata`.
 *
 * | offset | size | field                                   |
 * |--------|------|-----------------------------------------|
 * | 0      | 8    | magic "ARIESCTL"                        |
 * | 8      | 4    | CRC32C of the JSON body                 |
 * | 12     | 4    | body length n                           |
 * | 16     | n    | JSON body (ControlData)                 |
 *
 * It is replaced atomically (temp file, fsync, rename, fsync of the folder),
 * so a crash leaves either the old or the new one, never a mix (invariant C1).
 */
import type { FileSystem } from '../io/file.ts';
import { DbError } from '../errors/index.ts';
import { crc32c } from './crc.ts';

/**
 * The version of everything on disk (control file, pages, tuples, WAL):
 * bumped with any change an older server could misread. 2: 36-byte WAL
 * record headers, int8 stored as an exact 8-byte integer. 3: the records
 * HEAP_MULTI_INSERT and BTREE_MULTI_INSERT, the CLR that frees several
 * slots, the tuple flag "new".
 *
 * A server reads the versions in UPGRADABLE too: what they wrote means the
 * same to it. Restart stamps the control file with CONTROL_VERSION before
 * anything of the new format is written, so an older server then refuses
 * the directory instead of misreading it.
 */
export const CONTROL_VERSION = 3;
const UPGRADABLE = [2];
const MAGIC = Buffer.from('ARIESCTL');

export type DbState = 'shut down' | 'in production' | 'in crash recovery';

export interface RecoveryReport {
  checkpointLsn: number;
  redoStartLsn: number;
  redoEndLsn: number;
  recordsScanned: number;
  recordsReplayed: number;
  transactionsRolledBack: number;
  rolledBackXids: number[];
  clrsWritten: number;
  tornTailBytes: number;
  durationMs: number;
  finishedAt: string;
}

export interface ControlData {
  version: number;
  pageSize: number;
  walSegmentSize: number;
  state: DbState;
  /** LSN of the last completed checkpoint record (0 before the first). */
  checkpointLsn: number;
  /** Where redo starts for that checkpoint. */
  redoLsn: number;
  nextXid: number;
  checkpointTime: string;
  /** The last restart that found the database not shut down cleanly; null when the last start needed no recovery. */
  lastRecovery: RecoveryReport | null;
}

export function readControl(fsys: FileSystem, file: string): ControlData | null {
  const raw = fsys.readFile(file);
  if (!raw) return null;
  const buf = Buffer.from(raw);
  if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC)) {
    throw new DbError('data_corrupted', `control file "${file}" has a bad magic number`);
  }
  const len = buf.readUInt32LE(12);
  const body = buf.subarray(16, 16 + len);
  if (body.length !== len || crc32c(body) !== buf.readUInt32LE(8)) {
    throw new DbError('data_corrupted', `control file "${file}" fails its checksum`);
  }
  const data = JSON.parse(body.toString('utf8')) as ControlData;
  if (data.version !== CONTROL_VERSION && !UPGRADABLE.includes(data.version)) {
    throw new DbError('object_not_in_prerequisite_state', 'database files are incompatible with server', {
      detail: `The data directory was initialized with format version ${data.version}, but the server needs version ${CONTROL_VERSION}.`,
    });
  }
  return data;
}

export function writeControl(fsys: FileSystem, file: string, data: ControlData): void {
  const body = Buffer.from(JSON.stringify(data), 'utf8');
  const buf = Buffer.alloc(16 + body.length);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(crc32c(body), 8);
  buf.writeUInt32LE(body.length, 12);
  body.copy(buf, 16);
  fsys.writeFileAtomic(file, buf);
}
