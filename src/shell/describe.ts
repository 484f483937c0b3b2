/**
 * \dt and \d, laid out as psql 15 lays them out (checked against a real
 * server; see test/shell/describe.test.ts). ariesdb has one schema, public,
 * and no roles, so Schema is always "public" and Owner is "ariesdb".
 */
import type { TableInfo } from '../sql/api.ts';
import type { Table } from './table.ts';

export const OWNER = 'ariesdb';

/** psql's pattern rules, reduced: "quoted" keeps case, otherwise lowercased; * and ? are wildcards; a public. prefix is dropped. */
export function patternToRegExp(pattern: string): RegExp {
  const p = pattern.replace(/^(public|"public")\./i, '');
  let re = '';
  let quoted = false;
  for (const ch of p) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '*') re += '.*';
    else if (!quoted && ch === '?') re += '.';
    else re += (quoted ? ch : ch.toLowerCase()).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`);
}

export function matchTables(tables: TableInfo[], pattern?: string): TableInfo[] {
  const sorted = [...tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (pattern === undefined) return sorted;
  const re = patternToRegExp(pattern);
  return sorted.filter((t) => re.test(t.name));
}

/** \dt [PATTERN] and \d without arguments: "List of relations". */
export function relationList(tables: TableInfo[]): Table {
  return {
    title: 'List of relations',
    headers: ['Schema', 'Name', 'Type', 'Owner'],
    aligns: ['left', 'left', 'left', 'left'],
    rows: tables.map((t) => ['public', t.name, 'table', OWNER]),
  };
}

/** \d TABLE: columns, then the primary key index in psql's Indexes footer. */
export function tableDescription(t: TableInfo): Table {
  const pk = new Set(t.primaryKey);
  const footers: string[] = [];
  if (t.primaryKey.length > 0) {
    footers.push('Indexes:', `    "${t.name}_pkey" PRIMARY KEY, btree (${t.primaryKey.join(', ')})`);
  }
  return {
    title: `Table "public.${t.name}"`,
    headers: ['Column', 'Type', 'Collation', 'Nullable', 'Default'],
    aligns: ['left', 'left', 'left', 'left', 'left'],
    rows: t.columns.map((c) => [c.name, c.type, '', c.notNull || pk.has(c.name) ? 'not null' : '', c.default ?? '']),
    footers,
  };
}
