/**
 * B+tree index cost against size (issue figures, not a timed test).
 *
 *   node --import ./bin/register.mjs bench/btree.ts [--sizes 1000,100000,1000000] [--lookups 100000] [--shared-buffers 128MB]
 *
 * For each size N: insert N entries with random 8-byte keys (transactions
 * of 1000, synchronous_commit off, so the figure is the index's CPU and
 * buffer work, not fdatasync), then N-independent random point lookups of
 * present keys through indexScan({ low: key, high: key }). Prints µs per
 * insert and per lookup, the tree's height and pages; lookup cost should
 * grow with the height (log N), not with N.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/engine.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,100000,1000000' },
    lookups: { type: 'string', default: '100000' },
    'shared-buffers': { type: 'string', default: '128MB' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const lookups = Number(values.lookups);

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

function keyOf(a: number, b: number): Buffer {
  const k = Buffer.allocUnsafe(8);
  k.writeUInt32BE(a, 0);
  k.writeUInt32BE(b, 4);
  return k;
}

console.log(`shared_buffers ${values['shared-buffers']}; ${lookups} lookups per size`);
console.log('entries    insert µs  lookup µs  height  pages  buffer misses/lookup');
for (const n of sizes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-bench-btree-'));
  const e = await Engine.open(dir, { settings: { synchronous_commit: 'off', shared_buffers: values['shared-buffers'] } });
  const setup = e.begin();
  const ix = e.createIndex(setup);
  await e.commit(setup);
  const next = lcg(n);
  const keys: Buffer[] = [];
  let started = performance.now();
  for (let done = 0; done < n; ) {
    const t = e.begin();
    for (let i = 0; i < 1000 && done < n; i++, done++) {
      const k = keyOf(next(), next());
      keys.push(k);
      e.indexInsert(t, ix, k, done);
    }
    await e.commit(t);
  }
  const insertUs = ((performance.now() - started) * 1000) / n;
  const pick = lcg(7);
  const rd = e.begin();
  const misses0 = e.pool.stats.misses;
  let found = 0;
  started = performance.now();
  for (let i = 0; i < lookups; i++) {
    const k = keys[pick() % keys.length]!;
    for (const _ of e.indexScan(rd, ix, { low: k, high: k })) found++;
  }
  const lookupUs = ((performance.now() - started) * 1000) / lookups;
  if (found < lookups) throw new Error(`only ${found} of ${lookups} lookups found their key`);
  const s = e.indexStats(ix);
  const misses = (e.pool.stats.misses - misses0) / lookups;
  console.log(
    `${String(n).padStart(9)}  ${insertUs.toFixed(2).padStart(9)}  ${lookupUs.toFixed(2).padStart(9)}  ${String(s.height).padStart(6)}  ` +
      `${String(s.pages).padStart(5)}  ${misses.toFixed(3).padStart(8)}`,
  );
  e.rollback(rd);
  await e.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
