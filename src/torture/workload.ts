/**
 * The crash workload, run in a child process that the harness kills with
 * SIGKILL: concurrent sessions move money between accounts, each
 * transaction a list of legs (one leg: a transfer; several: a long
 * transaction that gives undo real work). Before COMMIT it prints
 * `C <legs>`; after COMMIT returns, `A <first leg id>`; after a rollback,
 * `R <first leg id>`. Lines are written synchronously, so every line printed
 * before the kill reaches the harness.
 *
 *   node --import tsx src/torture/workload.ts DIR SEED RUN SESSIONS ACCOUNTS SETTINGS_JSON
 *   node --import tsx src/torture/workload.ts DIR --open-only SETTINGS_JSON   (recovery, then exit)
 */
import * as fs from 'node:fs';
import { Database } from '../sql/database.ts';
import { DbError } from '../errors/index.ts';
import { rng, randInt } from './random.ts';
import { encodeLegs, type Leg } from './legs.ts';

const say = (line: string): void => void fs.writeSync(1, `${line}\n`);

async function session(db: Database, r: () => number, run: number, sid: number, accounts: number): Promise<never> {
  const s = db.session();
  let counter = 0;
  for (;;) {
    const long = r() < 0.05;
    const legs: Leg[] = [];
    for (let k = long ? 8 : 1; k > 0; k--) {
      const src = randInt(r, 1, accounts);
      let dst = randInt(r, 1, accounts - 1);
      if (dst >= src) dst++;
      legs.push({ id: run * 10_000_000 + sid * 1_000_000 + counter++, src, dst, amount: randInt(r, 1, 100) });
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
        say(`R ${legs[0]!.id}`);
      } else {
        say(`C ${encodeLegs(legs)}`);
        await s.query('COMMIT');
        say(`A ${legs[0]!.id}`);
      }
    } catch (e) {
      if (!(e instanceof DbError) || e.code !== '40P01') throw e;
      await s.query('ROLLBACK');
      say(`R ${legs[0]!.id}`);
    }
    if (sid === 0 && counter % 97 === 0) await s.query('CHECKPOINT');
  }
}

async function main(): Promise<void> {
  const [dir, a1, a2, a3, a4, a5] = process.argv.slice(2);
  if (a1 === '--open-only') {
    const db = await Database.open(dir!, { settings: JSON.parse(a2 ?? '{}') });
    await db.close();
    return;
  }
  const seed = Number(a1);
  const run = Number(a2);
  const sessions = Number(a3);
  const accounts = Number(a4);
  const db = await Database.open(dir!, { settings: JSON.parse(a5 ?? '{}') });
  say('ready');
  await Promise.all(Array.from({ length: sessions }, (_, i) => session(db, rng(seed * 1000 + i), run, i, accounts)));
}

main().catch((e) => {
  process.stderr.write(`workload failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
