/**
 * The money-transfer workload shared by the kill -9 and power-loss tests:
 * sessions move money between accounts, each transaction a list of legs (one
 * leg: a transfer; eight: a long transaction that gives undo real work), 10%
 * rolled back on purpose, deadlock victims rolled back and reported, a
 * CHECKPOINT now and then. It reports through `say`:
 *   `C <legs>` before COMMIT, `A <first leg id>` after COMMIT returned,
 *   `R <first leg id>` after a rollback.
 */
import type { Database } from '../sql/database.ts';
import { DbError } from '../errors/index.ts';
import { encodeLegs, type Leg } from './legs.ts';
import { randInt } from '../util/random.ts';

export const SCHEMA = [
  'CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)',
  'CREATE TABLE transfers (id bigint NOT NULL, src int NOT NULL, dst int NOT NULL, amount int NOT NULL)',
  // An expression key and a partial index, so crashes and power cuts also test their entries (ledger.ts checks them).
  'CREATE UNIQUE INDEX transfers_neg ON transfers ((-id))',
  'CREATE INDEX transfers_big ON transfers (dst) WHERE amount > 50',
];

export async function createAccounts(db: Database, accounts: number): Promise<void> {
  const s = db.session();
  for (const sql of SCHEMA) await s.query(sql);
  await s.query(`INSERT INTO accounts VALUES ${Array.from({ length: accounts }, (_, i) => `(${i + 1}, 1000)`).join(', ')}`);
  await s.close();
}

export interface TransferOptions {
  run: number;
  sid: number;
  accounts: number;
  rng: () => number;
  say: (line: string) => void;
  /** Checked between transactions and after errors: true ends the session (the machine died). */
  stopped: () => boolean;
}

/** One session's loop; returns when stopped() says so, rethrows unexpected errors otherwise. */
export async function transferSession(db: Database, o: TransferOptions): Promise<void> {
  const s = db.session();
  const r = o.rng;
  let counter = 0;
  while (!o.stopped()) {
    const legs: Leg[] = [];
    for (let k = r() < 0.05 ? 8 : 1; k > 0; k--) {
      const src = randInt(r, 1, o.accounts);
      let dst = randInt(r, 1, o.accounts - 1);
      if (dst >= src) dst++;
      legs.push({ id: o.run * 10_000_000 + o.sid * 1_000_000 + counter++, src, dst, amount: randInt(r, 1, 100) });
    }
    const rollback = r() < 0.1;
    try {
      await s.query('BEGIN');
      for (const l of legs) {
        await s.query(`UPDATE accounts SET balance = balance - ${l.amount} WHERE id = ${l.src}`);
        await s.query(`UPDATE accounts SET balance = balance + ${l.amount} WHERE id = ${l.dst}`);
        await s.query(`INSERT INTO transfers VALUES (${l.id}, ${l.src}, ${l.dst}, ${l.amount})`);
      }
      if (rollback) {
        await s.query('ROLLBACK');
        o.say(`R ${legs[0]!.id}`);
      } else {
        o.say(`C ${encodeLegs(legs)}`);
        await s.query('COMMIT');
        o.say(`A ${legs[0]!.id}`);
      }
      if (o.sid === 0 && counter % 97 === 0) await s.query('CHECKPOINT');
    } catch (e) {
      if (o.stopped()) return;
      if (!(e instanceof DbError) || e.code !== '40P01') throw e;
      try {
        await s.query('ROLLBACK');
      } catch (e2) {
        if (o.stopped()) return; // the machine died during the rollback
        throw e2;
      }
      o.say(`R ${legs[0]!.id}`);
    }
  }
}
