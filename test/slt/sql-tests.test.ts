/**
 * The project's own SQL scripts (sql-tests/, see its README): every record
 * must pass on ariesdb (records for missing features are marked
 * `skipif postgresql # TODO ...`), and on SQLite wherever they are not
 * marked `onlyif postgresql`, which keeps the expected results honest.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFailure, runSuite } from '../../src/slt/suite.ts';

const dir = resolve(import.meta.dirname, '../../sql-tests');

describe('sql-tests/', () => {
  it('passes on ariesdb', async () => {
    const r = await runSuite([dir], { engine: 'ariesdb' });
    expect(r.files.flatMap((f) => f.failures).slice(0, 10).map(formatFailure)).toEqual([]);
    expect(r.passed).toBeGreaterThan(500);
  }, 300_000);

  it('passes on SQLite where SQLite agrees with PostgreSQL', async () => {
    const r = await runSuite([dir], { engine: 'sqlite' });
    expect(r.files.flatMap((f) => f.failures).slice(0, 10).map(formatFailure)).toEqual([]);
    expect(r.passed).toBeGreaterThan(1000);
  });
});
