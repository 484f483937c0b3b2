/**
 * Sequence values (serial columns, nextval). Like PostgreSQL's, they are not
 * transactional: a value handed out stays used even if the transaction that
 * took it rolls back, and values survive a restart.
 *
 * Storage: each sequence has a one-row heap holding { last }, the highest
 * value that may have been handed out. The Database keeps the live counter
 * in memory and reserves values in blocks of RESERVE (PostgreSQL's
 * SEQ_LOG_VALS is 32 too): when the block is used up it writes the new
 * `last` in a separate internal transaction and commits it at once, without
 * waiting for the flush. Its COMMIT record is in the WAL before the COMMIT of
 * any transaction that used one of the values, so no committed row can
 * carry a value the sequence would hand out again after a crash; a crash
 * can only skip up to RESERVE values (as PostgreSQL skips).
 *
 * Why not the catalog row: updating the catalog heap invalidates every
 * session's cached catalog and plan; a heap per sequence does not. Why not
 * the user's transaction: its rollback would hand the same values out again.
 * Exception: a sequence created by the still-open transaction is not
 * visible to an internal transaction, so its reservations go into the
 * creating transaction (if that rolls back, the sequence is gone anyway).
 */
import { DbError } from '../errors/index.ts';
import type { RowId, StorageEngine, TxnHandle } from '../engine/api.ts';
import type { SequenceDef } from './catalog.ts';
import { errorWithCode } from './sqlerror.ts';
import { INT8_MAX, INT8_MIN, int8Of } from './types.ts';

const RESERVE = 32;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Counters are bigints, so values near the int8 limits stay exact; they leave as canonical int8 values. */
interface State { next: bigint; limit: bigint; rid: RowId }

/** `last` is stored as a JSON number while safe, else as its decimal text. */
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const encodeLast = (last: bigint): string => JSON.stringify({ last: last >= -SAFE && last <= SAFE ? Number(last) : last.toString() });

export class SequenceCache {
  private readonly state = new Map<number, State>();

  constructor(private readonly engine: StorageEngine) {}

  private load(seq: SequenceDef, user: TxnHandle): State {
    let st = this.state.get(seq.heap);
    if (st) return st;
    for (const [rid, bytes] of this.engine.scan(user, seq.heap)) {
      const last = BigInt((JSON.parse(fromUtf8.decode(bytes)) as { last: number | string }).last);
      st = { next: last + BigInt(seq.increment), limit: last, rid };
    }
    if (!st) throw new DbError('data_corrupted', `sequence "${seq.name}" has no counter row`);
    this.state.set(seq.heap, st);
    return st;
  }

  /** Persists `last` outside the user's transaction (see the header). */
  private persist(seq: SequenceDef, st: State, last: bigint, user: TxnHandle): void {
    const bytes = utf8.encode(encodeLast(last));
    const internal = this.engine.begin();
    if (this.engine.fetch(internal, seq.heap, st.rid) === null) {
      this.engine.rollback(internal);
      st.rid = this.engine.update(user, seq.heap, st.rid, bytes);
      return;
    }
    try {
      st.rid = this.engine.update(internal, seq.heap, st.rid, bytes);
    } catch (e) {
      this.engine.rollback(internal);
      throw e;
    }
    this.engine.commit(internal).catch(() => { this.state.delete(seq.heap); });
  }

  nextval(seq: SequenceDef, user: TxnHandle): number | bigint {
    const st = this.load(seq, user);
    const v = st.next, inc = BigInt(seq.increment);
    if (v > INT8_MAX || v < INT8_MIN) {
      const bound = inc > 0n ? `maximum value of sequence "${seq.name}" (${INT8_MAX})` : `minimum value of sequence "${seq.name}" (${INT8_MIN})`;
      throw errorWithCode('2200H', `nextval: reached ${bound}`);
    }
    const beyond = inc > 0n ? v > st.limit : v < st.limit;
    if (beyond) {
      const limit = v + BigInt(RESERVE - 1) * inc;
      this.persist(seq, st, limit, user);
      st.limit = limit;
    }
    st.next = v + inc;
    return int8Of(v);
  }

  /** setval(seq, v, called): the next nextval returns v + increment if called, else v. */
  setval(seq: SequenceDef, value: number | bigint, called: boolean, user: TxnHandle): number | bigint {
    const st = this.load(seq, user);
    const v = BigInt(value), inc = BigInt(seq.increment);
    const next = called ? v + inc : v;
    this.moveTo(seq, st, next - inc, next, user);
    return value;
  }

  /** ALTER SEQUENCE … INCREMENT BY: the next value is the last one handed out plus the new increment, as in PostgreSQL. */
  reincrement(seq: SequenceDef, increment: number, user: TxnHandle): void {
    const st = this.load(seq, user);
    // A sequence nothing was drawn from yet still starts at its start, as PostgreSQL's (is_called false).
    if (st.next === BigInt(seq.start)) return this.moveTo(seq, st, BigInt(seq.start) - BigInt(increment), BigInt(seq.start), user);
    const last = st.next - BigInt(seq.increment);
    this.moveTo(seq, st, last, last + BigInt(increment), user);
  }

  /** `last` is stored as the value handed out last (nothing reserved beyond it); `next` comes next. */
  private moveTo(seq: SequenceDef, st: State, last: bigint, next: bigint, user: TxnHandle): void {
    this.persist(seq, st, last, user);
    st.next = next;
    st.limit = last;
  }

  /** Forgets cached counters (after a transaction that created sequences rolled back, their heaps are gone). */
  forget(heap: number): void {
    this.state.delete(heap);
  }
}
