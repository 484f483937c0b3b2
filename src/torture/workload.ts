/**
 * The kill -9 workload, run in a child process that the harness kills with
 * SIGKILL (src/torture/harness.ts). Lines (see transfers.ts) are written
 * synchronously, so every line printed before the kill reaches the harness.
 *
 *   node --import ./bin/register.mjs src/torture/workload.ts DIR SEED RUN SESSIONS ACCOUNTS SETTINGS_JSON
 *   node --import ./bin/register.mjs src/torture/workload.ts DIR --open-only SETTINGS_JSON   (restart, then exit)
 */
import * as fs from 'node:fs';
import { Database } from '../sql/database.ts';
import { rng } from '../util/random.ts';
import { transferSession } from './transfers.ts';

const say = (line: string): void => void fs.writeSync(1, `${line}\n`);

async function main(): Promise<void> {
  const [dir, a1, a2, a3, a4, a5] = process.argv.slice(2);
  if (a1 === '--open-only') {
    const db = await Database.open(dir!, { settings: JSON.parse(a2 ?? '{}') });
    await db.close();
    return;
  }
  const [seed, run, sessions, accounts] = [a1, a2, a3, a4].map(Number) as [number, number, number, number];
  const db = await Database.open(dir!, { settings: JSON.parse(a5 ?? '{}') });
  say('ready');
  await Promise.all(Array.from({ length: sessions }, (_, sid) =>
    transferSession(db, { run, sid, accounts, rng: rng(seed * 1000 + sid), say, stopped: () => false })));
}

main().catch((e) => {
  process.stderr.write(`workload failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
