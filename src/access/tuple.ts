/**
 * The heap tuple header, in front of every row's bytes on a heap page:
 *
 * | offset | size | field                                                  |
 * |--------|------|--------------------------------------------------------|
 * | 0      | 4    | xid of the last transaction that wrote the tuple       |
 * | 4      | 1    | flags: bit 0 = dead (deleted by that transaction),     |
 * |        |      | bit 1 = new (inserted by that transaction)             |
 * | 5      | ...  | the row, encoded by src/sql                            |
 *
 * The xid doubles as the row lock (DESIGN.md, "Concurrency"): while that
 * transaction is active, no other may write the tuple, and others read the
 * committed version it replaced (kept in the transaction manager's versions).
 * A new tuple replaced nothing: while its xid is active others see no row,
 * and no versions entry is needed (a COPY of a million rows makes none).
 * Once the xid has ended the flag means nothing; it is never cleared.
 */
export const TUPLE_HEADER_SIZE = 5;
export const FLAG_DEAD = 1;
export const FLAG_NEW = 2;

export const tupleXid = (t: Uint8Array): number => (t[0]! | (t[1]! << 8) | (t[2]! << 16)) + t[3]! * 0x100_0000;
export const tupleIsDead = (t: Uint8Array): boolean => (t[4]! & FLAG_DEAD) !== 0;
export const tupleIsNew = (t: Uint8Array): boolean => (t[4]! & FLAG_NEW) !== 0;

export function makeTuple(xid: number, flags: number, row: Uint8Array): Buffer {
  const t = Buffer.allocUnsafe(TUPLE_HEADER_SIZE + row.length);
  t.writeUInt32LE(xid >>> 0, 0);
  t[4] = flags;
  t.set(row, TUPLE_HEADER_SIZE);
  return t;
}

/** The same tuple with a new header. */
export function restamp(t: Uint8Array, xid: number, flags: number): Buffer {
  const c = Buffer.from(t);
  c.writeUInt32LE(xid >>> 0, 0);
  c[4] = flags;
  return c;
}

export const tupleRow = (t: Uint8Array): Uint8Array => t.subarray(TUPLE_HEADER_SIZE);
