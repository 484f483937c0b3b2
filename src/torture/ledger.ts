/**
 * What the crash tests know about the workload, and the check of a
 * database against it after a crash:
 *
 *  - the total balance is conserved;
 *  - every acknowledged transaction (`A`) is there, all of its legs;
 *  - a transaction whose COMMIT was sent but not acknowledged (`C` only) is
 *    there whole or not at all; a rolled-back one (`R`) never is; nothing
 *    is there whose COMMIT was never sent;
 *  - what was found committed once stays committed;
 *  - the balances equal SQLite's after it is fed exactly the transactions
 *    found committed (the oracle).
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../sql/database.ts';
import { decodeLegs, type Leg } from './legs.ts';

export interface LedgerCounts {
  acknowledged: number;
  inDoubtCommitted: number;
  inDoubtLost: number;
  rolledBack: number;
}

export class Ledger {
  readonly counts: LedgerCounts = { acknowledged: 0, inDoubtCommitted: 0, inDoubtLost: 0, rolledBack: 0 };
  private readonly oracle = new BetterSqlite3(':memory:');
  private readonly applyLeg: BetterSqlite3.Statement;
  /** Leg ids found committed by an earlier check. */
  private readonly seen = new Set<number>();
  private committed = new Map<number, Leg[]>();
  private acked = new Set<number>();
  private rolled = new Set<number>();

  constructor(accounts: number) {
    this.oracle.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
    const ins = this.oracle.prepare('INSERT INTO accounts VALUES (?, 1000)');
    for (let i = 1; i <= accounts; i++) ins.run(i);
    this.applyLeg = this.oracle.prepare('UPDATE accounts SET balance = balance + ? WHERE id = ?');
  }

  /** Takes one line the workload said (C/A/R). */
  record(line: string): void {
    if (line.startsWith('C ')) {
      const legs = decodeLegs(line.slice(2));
      this.committed.set(legs[0]!.id, legs);
    } else if (line.startsWith('A ')) this.acked.add(Number(line.slice(2)));
    else if (line.startsWith('R ')) this.rolled.add(Number(line.slice(2)));
  }

  get acknowledgedThisRun(): number {
    return this.acked.size;
  }

  /** Checks db against everything recorded since the last check; returns the violations. */
  async check(db: Database, where: string): Promise<string[]> {
    const bad: string[] = [];
    const s = db.session();
    const ids = new Set((await s.query('SELECT id FROM transfers')).rows.map((row) => Number(row[0])));
    for (const id of this.seen) if (!ids.has(id)) bad.push(`${where}: transfer ${id}, found committed before, is gone`);
    for (const id of this.acked) {
      for (const leg of this.committed.get(id) ?? []) {
        if (!ids.has(leg.id)) bad.push(`${where}: acknowledged transaction ${id} lost leg ${leg.id}`);
      }
    }
    for (const id of this.rolled) if (ids.has(id)) bad.push(`${where}: rolled-back transaction ${id} is present`);
    const sent = new Set<number>();
    for (const [id, legs] of this.committed) {
      for (const l of legs) sent.add(l.id);
      const present = legs.filter((l) => ids.has(l.id)).length;
      if (present !== 0 && present !== legs.length) bad.push(`${where}: transaction ${id} is partly present (${present}/${legs.length} legs)`);
      if (present === legs.length && !this.seen.has(legs[0]!.id)) {
        for (const l of legs) this.seen.add(l.id);
        this.oracle.transaction(() => {
          for (const l of legs) {
            this.applyLeg.run(-l.amount, l.src);
            this.applyLeg.run(l.amount, l.dst);
          }
        })();
        if (this.acked.has(id)) this.counts.acknowledged++;
        else this.counts.inDoubtCommitted++;
      } else if (present === 0 && !this.acked.has(id)) this.counts.inDoubtLost++;
    }
    for (const id of ids) if (!this.seen.has(id) && !sent.has(id)) bad.push(`${where}: transfer ${id} is present but its COMMIT was never sent`);
    // The same rows through the expression index and the partial index (their plans use them) as through the heap.
    const count = async (sql: string): Promise<number> => Number((await s.query(sql)).rows[0]![0]);
    const viaExpr = await count('SELECT count(*) FROM transfers WHERE -id < 0');
    if (viaExpr !== ids.size) bad.push(`${where}: index transfers_neg finds ${viaExpr} transfers, the heap has ${ids.size}`);
    const viaPartial = await count('SELECT count(*) FROM transfers WHERE dst > 0 AND amount > 50');
    const scanned = await count('SELECT count(*) FROM transfers WHERE dst + 0 > 0 AND amount + 0 > 50');
    if (viaPartial !== scanned) bad.push(`${where}: index transfers_big finds ${viaPartial} transfers over 50, the heap has ${scanned}`);
    this.counts.rolledBack += this.rolled.size;
    const got = (await s.query('SELECT id, balance FROM accounts ORDER BY id')).rows.map((row) => [Number(row[0]), Number(row[1])]);
    const want = this.oracle.prepare('SELECT id, balance FROM accounts ORDER BY id').all() as { id: number; balance: number }[];
    const total = got.reduce((a, r) => a + r[1]!, 0);
    const wantTotal = want.reduce((a, r) => a + r.balance, 0);
    if (total !== wantTotal) bad.push(`${where}: total balance ${total}, expected ${wantTotal}`);
    for (let i = 0; i < want.length; i++) {
      if (got[i]?.[0] !== want[i]!.id || got[i]?.[1] !== want[i]!.balance) {
        bad.push(`${where}: account ${want[i]!.id} has ${got[i]?.[1]}, SQLite says ${want[i]!.balance}`);
        break;
      }
    }
    await s.close();
    this.committed = new Map();
    this.acked = new Set();
    this.rolled = new Set();
    return bad;
  }

  close(): void {
    this.oracle.close();
  }
}
