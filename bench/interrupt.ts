/**
 * Cost of the executor's interrupt check (src/sql/interrupt.ts, tick() per
 * row in scans, joins and generate_series): row-heavy queries timed in this
 * tree and in another checkout of ariesdb (one without the check), both
 * loaded into this one process and run alternately, so that load from
 * elsewhere on the machine hits both alike. Times are this process's CPU
 * time; the figure to read is the median of the per-round ratios.
 *
 *   mkdir /tmp/base && git archive <commit> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
 *   node --import ./bin/register.mjs bench/interrupt.ts --base /tmp/base [--rounds 21] [--timeout 1h]
 *
 * --timeout sets statement_timeout in this tree (it never fires), to time
 * the check with a deadline armed; the default 0 times it disarmed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Session } from '../src/sql/session.ts';
import { median } from './lib/measure.ts';

const { values: a } = parseArgs({ options: { base: { type: 'string' }, rounds: { type: 'string', default: '21' }, timeout: { type: 'string', default: '0' } } });
if (!a.base) throw new Error('--base DIR (a checkout to compare with) is required');

const queries = [
  ['generate_series 2M', 'SELECT count(*) FROM generate_series(1, 2000000)'],
  ['seq scan 400k', 'SELECT count(*) FROM big'],
  ['filtered scan 400k', 'SELECT count(*) FROM big WHERE b < 0'],
  ['nested loop 1500x1500', 'SELECT count(*) FROM generate_series(1, 1500) x, generate_series(1, 1500) y'],
  ['hash join 200k', 'SELECT count(*) FROM big p JOIN big q ON p.a = q.a WHERE p.a <= 200000'],
] as const;

const dirs: string[] = [];
async function open(root: string): Promise<Session> {
  const { Database } = await import(join(root, 'src/sql/database.ts'));
  const dir = mkdtempSync(join(tmpdir(), 'ariesdb-bench-interrupt-'));
  dirs.push(dir);
  const s: Session = (await Database.open(dir)).session();
  await s.query('CREATE TABLE big (a int, b int)');
  await s.query('INSERT INTO big SELECT g, g % 1000 FROM generate_series(1, 400000) g');
  return s;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

try {
  const base = await open(resolve(a.base));
  const here = await open(resolve(import.meta.dirname, '..'));
  if (a.timeout !== '0') await here.query(`SET statement_timeout = '${a.timeout}'`);
  console.log(`statement_timeout here: ${a.timeout}; ${a.rounds} rounds; CPU ms, median (min)`);
  for (const [name, sql] of queries) {
    await base.query(sql);
    await here.query(sql); // warm both up
    const t = { base: [] as number[], here: [] as number[] };
    const ratios: number[] = [];
    for (let r = 0; r < Number(a.rounds); r++) {
      const order = r % 2 === 0 ? (['base', 'here'] as const) : (['here', 'base'] as const);
      for (const k of order) {
        const t0 = cpuMs();
        await (k === 'base' ? base : here).query(sql);
        t[k].push(cpuMs() - t0);
      }
      ratios.push(t.here.at(-1)! / t.base.at(-1)!);
    }
    const f = (xs: number[]): string => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)})`;
    console.log(`${name.padEnd(24)} base ${f(t.base).padEnd(16)} here ${f(t.here).padEnd(16)} ratio ${median(ratios).toFixed(3)}`);
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.exit(0);
