import { describe, expect, it } from 'vitest';
import type { TableInfo } from '../../src/sql/api.ts';
import { matchTables, relationList, tableDescription } from '../../src/shell/describe.ts';
import { defaultPrintOptions, printTable, type Table } from '../../src/shell/table.ts';
import { accountsInfo } from './fake-session.ts';
import { golden } from './goldens.ts';

const t2: TableInfo = {
  name: 't2',
  oid: 16390,
  columns: [
    { name: 'a', type: 'smallint', typeOid: 21, notNull: false, default: null },
    { name: 'b', type: 'character varying(20)', typeOid: 1043, notNull: true, default: "'x'::character varying" },
    { name: 'c', type: 'text', typeOid: 25, notNull: false, default: null },
  ],
  primaryKey: [],
};
const pk2: TableInfo = {
  name: 'pk2',
  oid: 16395,
  columns: [
    { name: 'a', type: 'integer', typeOid: 23, notNull: false, default: null },
    { name: 'b', type: 'integer', typeOid: 23, notNull: false, default: null },
  ],
  primaryKey: ['a', 'b'],
};
const all = [t2, accountsInfo, pk2];

const aligned = defaultPrintOptions;
const unaligned = { ...defaultPrintOptions, format: 'unaligned' as const };
// The goldens come from a server whose owner role is "postgres"; ariesdb has no roles.
const asPostgres = (t: Table): Table => ({ ...t, rows: t.rows.map((r) => [...r.slice(0, 3), 'postgres']) });

describe('\\dt and \\d match psql 15', () => {
  it('\\dt lists tables sorted by name', () => {
    expect(printTable(asPostgres(relationList(matchTables(all))), aligned)).toBe(golden('listTables').stdout);
    expect(printTable(asPostgres(relationList(matchTables(all))), unaligned)).toBe(golden('listTablesUnaligned').stdout);
  });
  it('\\d TABLE with the primary key footer', () => {
    expect(printTable(tableDescription(accountsInfo), aligned)).toBe(golden('describeAccounts').stdout);
    expect(printTable(tableDescription(accountsInfo), unaligned)).toBe(golden('describeAccountsUnaligned').stdout);
    expect(printTable(tableDescription(pk2), aligned)).toBe(golden('describePk2').stdout);
  });
  it('\\d TABLE without indexes, and tuples only', () => {
    expect(printTable(tableDescription(t2), aligned)).toBe(golden('describeT2').stdout);
    expect(printTable(tableDescription(t2), { ...aligned, tuplesOnly: true })).toBe(golden('describeT2TuplesOnly').stdout);
  });
  it('patterns: case folding, quotes, wildcards, public. prefix', () => {
    const names = (p?: string) => matchTables(all, p).map((t) => t.name);
    expect(names('ACCOUNTS')).toEqual(['accounts']);
    expect(names('"ACCOUNTS"')).toEqual([]);
    expect(names('public.accounts')).toEqual(['accounts']);
    expect(names('*2')).toEqual(['pk2', 't2']);
    expect(names('t?')).toEqual(['t2']);
    expect(names()).toEqual(['accounts', 'pk2', 't2']);
  });
});
