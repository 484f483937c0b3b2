/**
 * What index paths read, counted on the real engine: buffer pool pins
 * (every page access is a pin: BufferPool.stats hits + misses) for
 * `ORDER BY pk LIMIT 10`, and engine calls (index probes, heap fetches,
 * heap scans) for an index nested loop join, on a 100,000-row table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';

const ROWS = 100_000;
let dir: string;
let db: Database;
let s: Session;
let engine: Engine;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ariesdb-index-reads-'));
  db = await Database.open(dir);
  engine = db.engine as Engine;
  s = db.session();
  await s.query('create table big (id int primary key, g int, v text)');
  await s.query(`insert into big select i, i % 1000, 'row ' || i from generate_series(1, ${ROWS}) as i`);
  await s.query('create table outer_rows (k int, ref int)');
  // 200 outer rows: 150 hit one row each, 25 miss (beyond the table), 25 have a NULL key.
  await s.query(`insert into outer_rows select i, case when i <= 150 then i * 613 when i <= 175 then ${ROWS} + i end from generate_series(1, 200) as i`);
}, 120_000);

afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Buffer pins taken while running sql (after one warm-up run, so planning and catalog reads are cached). */
async function pins(sql: string): Promise<{ pins: number; rows: unknown[][] }> {
  await s.query(sql);
  const st = engine.pool.stats;
  const before = st.hits + st.misses;
  const rows = (await s.query(sql)).rows;
  return { pins: st.hits + st.misses - before, rows };
}

describe('index reads on a 100,000-row table', () => {
  it('ORDER BY pk LIMIT 10 pins a handful of pages, forward and backward', async () => {
    const full = await pins('select count(*) from big');
    expect(full.pins).toBeGreaterThan(300); // every heap page of the table
    const asc = await pins('select id from big order by id limit 10');
    expect(asc.rows).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1]));
    expect(asc.pins).toBeLessThanOrEqual(20); // a root-to-leaf descent and ten heap fetches
    const desc = await pins('select id from big order by id desc limit 10');
    expect(desc.rows).toEqual(Array.from({ length: 10 }, (_, i) => [ROWS - i]));
    expect(desc.pins).toBeLessThanOrEqual(20);
    const mid = await pins('select id from big where id > 50000 order by id limit 10');
    expect(mid.rows[0]).toEqual([50001]);
    expect(mid.pins).toBeLessThanOrEqual(20);
  });

  it('an index nested loop probes once per outer row and never scans the inner table', async () => {
    const explain = (await s.query('explain select o.k, b.v from outer_rows o join big b on b.id = o.ref')).rows.map((r) => r[0]);
    expect(explain).toEqual(['Nested Loop', '  ->  Seq Scan on outer_rows o', '  ->  Index Scan using big_pkey on big b', '        Index Cond: (id = o.ref)']);
    const calls = { indexScan: 0, indexLookup: 0, fetch: 0, scan: 0, scanBatches: 0 };
    const spy = <K extends keyof typeof calls>(name: K): void => {
      const original = (engine[name] as (...a: unknown[]) => unknown).bind(engine);
      (engine as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => { calls[name]++; return original(...a); };
    };
    spy('indexScan');
    spy('indexLookup');
    spy('fetch');
    spy('scan');
    spy('scanBatches');
    try {
      const inner = (await s.query('select o.k, b.v from outer_rows o join big b on b.id = o.ref order by o.k')).rows;
      expect(inner.length).toBe(150);
      expect(inner[0]).toEqual([1, 'row 613']);
      // NULL keys never probe; every other outer row probes once (a point lookup: the key is the whole index key) and fetches what it finds.
      expect(calls).toEqual({ indexScan: 0, indexLookup: 175, fetch: 150, scan: 0, scanBatches: 1 });
      calls.indexScan = calls.indexLookup = calls.fetch = calls.scan = calls.scanBatches = 0;
      const left = (await s.query('select count(*), count(b.id) from outer_rows o left join big b on b.id = o.ref')).rows;
      expect(left).toEqual([[200, 150]]);
      expect(calls).toEqual({ indexScan: 0, indexLookup: 175, fetch: 150, scan: 0, scanBatches: 1 });
    } finally {
      for (const name of Object.keys(calls)) delete (engine as unknown as Record<string, unknown>)[name];
    }
  });
});
