/**
 * Names in text, read as PostgreSQL's reg* input functions read them:
 * 'accounts'::regclass, 'int4'::regtype, 'public'::regnamespace,
 * 'postgres'::regrole, and the relation named by has_table_privilege or
 * pg_relation_size.
 *
 * R1. A name is dot-separated identifiers: unquoted ones are folded to
 *     lower case, "quoted" ones keep theirs ("" is a quote), whitespace
 *     around each is dropped; anything else is 42602 invalid name syntax.
 * R2. A relation name has at most three parts: database (ariesdb only,
 *     else 0A000), schema, relation. Without a schema, the user's relations
 *     are searched, then pg_catalog's (a user table hides a catalog of the
 *     same name, as in FROM: pg-catalog.ts virtualTable's callers); with
 *     one, only that schema's (public: the user's; pg_catalog: the
 *     catalogs; another: 3F000).
 * R3. Digits are an oid as they are; '-' is oid 0.
 */
import { DbError } from '../errors/index.ts';
import type { Catalog, TableDef } from './catalog.ts';
import type { ParsedStatement } from './ast.ts';
import { at } from './expr.ts';
import { parseSql } from './parse.ts';
import { DATABASE_NAME, indexOid, OWNER, SCHEMAS, TABLE_OIDS, USER_NAME, VIEW_OIDS } from './pg-catalog-fixed.ts';
import { clientTypeOid, isSerialName, resolveType, TEXT, typeInternalName, withArrayElem, type SqlType } from './types.ts';

/** R1: the identifiers of a dotted name. */
export function splitName(text: string, pos: number): string[] {
  const bad = (): DbError => new DbError('invalid_name', 'invalid name syntax', at(pos));
  const parts: string[] = [];
  let i = 0;
  const space = (): void => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  for (;;) {
    space();
    let name = '';
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (i >= text.length) throw bad();
        if (text[i] === '"') {
          if (text[i + 1] !== '"') { i++; break; }
          i++;
        }
        name += text[i];
      }
    } else {
      while (i < text.length && text[i] !== '.' && !/\s/.test(text[i]!)) name += text[i++];
      name = name.toLowerCase();
    }
    if (name === '') throw bad();
    parts.push(name);
    space();
    if (i >= text.length) return parts;
    if (text[i] !== '.') throw bad();
    i++;
  }
}

/** R1 for a name of one part (a schema, a role). */
function oneName(text: string, pos: number): string {
  const parts = splitName(text, pos);
  if (parts.length !== 1) throw new DbError('invalid_name', 'invalid name syntax', at(pos));
  return parts[0]!;
}

/** R3: the oid digits or '-' give, else null. */
function oidLiteral(text: string): number | null {
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  return text.trim() === '-' ? 0 : null;
}

/** What a relation oid names: the kinds has_table_privilege and the size functions tell apart. */
export type RelationKind = ({ kind: 'table'; t: TableDef } | { kind: 'index'; t: TableDef; k: number } | { kind: 'sequence'; heap: number } | { kind: 'view' } | { kind: 'catalog' })
  & { name: string };

/** Every relation of the catalog (and PostgreSQL's catalogs) by oid. */
export function relationsByOid(cat: Catalog): Map<number, RelationKind> {
  const m = new Map<number, RelationKind>();
  for (const [name, oid] of [...Object.entries(TABLE_OIDS), ...Object.entries(VIEW_OIDS)]) m.set(oid, { kind: 'catalog', name });
  for (const t of cat.all()) {
    m.set(t.oid, { kind: 'table', t, name: t.name });
    t.indexes.forEach((ix, k) => m.set(indexOid(t, k), { kind: 'index', t, k, name: ix.name }));
  }
  for (const s of cat.allSequences()) m.set(s.oid, { kind: 'sequence', heap: s.heap, name: s.name });
  for (const v of cat.allViews()) m.set(v.oid, { kind: 'view', name: v.name });
  return m;
}

/** The oid of the user's relation `name`, or undefined. */
function userRelation(cat: Catalog, name: string): number | undefined {
  const t = cat.get(name) ?? cat.sequence(name) ?? cat.view(name);
  if (t) return t.oid;
  const owner = cat.tableOfIndex(name);
  return owner ? indexOid(owner, owner.indexes.findIndex((i) => i.name === name)) : undefined;
}

/** R2, R3: the relation oid regclass text names. */
export function regclassOid(text: string, cat: Catalog, pos: number): number {
  const literal = oidLiteral(text);
  if (literal !== null) return literal;
  const parts = splitName(text, pos);
  if (parts.length > 3) throw new DbError('syntax_error', `improper relation name (too many dotted names): ${text}`, at(pos));
  if (parts.length === 3 && parts[0] !== DATABASE_NAME) {
    throw new DbError('feature_not_supported', `cross-database references are not implemented: "${text}"`, at(pos));
  }
  const name = parts.at(-1)!;
  const schema = parts.length > 1 ? parts.at(-2)! : null;
  if (schema !== null && !SCHEMAS.has(schema)) throw new DbError('invalid_schema_name', `schema "${schema}" does not exist`, at(pos));
  const user = schema === null || schema === 'public' ? userRelation(cat, name) : undefined;
  if (user !== undefined) return user;
  const catalog = schema === null || schema === 'pg_catalog' ? TABLE_OIDS[name] ?? VIEW_OIDS[name]
    : schema === 'information_schema' ? VIEW_OIDS[`information_schema.${name}`] : undefined;
  if (catalog !== undefined) return catalog;
  throw new DbError('undefined_table', `relation "${schema ? schema + '.' : ''}${name}" does not exist`, at(pos));
}

/**
 * The oid a regtype, regnamespace or regrole text names, or R3's. regproc
 * and regprocedure: built-in functions have no oids here (pg_proc is
 * empty), so 0A000.
 */
export function regOid(kind: string, text: string, pos: number): number {
  const literal = oidLiteral(text);
  if (literal !== null) return literal;
  switch (kind) {
    case 'regtype': return clientTypeOid(typeNamed(text, pos));
    case 'regnamespace': {
      const name = oneName(text, pos);
      const oid = SCHEMAS.get(name);
      if (oid === undefined) throw new DbError('invalid_schema_name', `schema "${name}" does not exist`, at(pos));
      return oid;
    }
    case 'regrole': {
      const name = oneName(text, pos);
      if (name !== USER_NAME) throw new DbError('undefined_object', `role "${name}" does not exist`, at(pos));
      return OWNER;
    }
    default:
      throw new DbError('feature_not_supported', `${kind} of a name is not supported: built-in functions have no oids in ariesdb`, at(pos));
  }
}

/**
 * A type name as written after `::` ("character varying(10)",
 * "pg_catalog.int8", "integer[]", "float(24)", "interval day to second"),
 * read by the SQL parser itself, so it names what the same words name in a
 * cast. A schema, if any, must be pg_catalog.
 */
function typeNamed(text: string, pos: number): SqlType {
  const missing = (): DbError => new DbError('undefined_object', `type "${text.trim()}" does not exist`, at(pos));
  const rest = text.trim();
  if (rest === '') throw new DbError('syntax_error', 'syntax error at end of input', at(pos));
  if (rest.startsWith('"')) {
    // A quoted name is that exact name: "int4" is int4, "Int4" or "integer" nothing, "char" a type ariesdb lacks.
    const parts = splitName(rest.replace(/(\[\s*\d*\s*\])+$/, ''), pos);
    const name = parts.at(-1)!;
    if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog')) throw missing();
    if (name === 'char') throw new DbError('feature_not_supported', 'type "char" is not supported', at(pos));
    // pg_type's own names only: "integer" is a keyword's spelling, which quoting turns into a plain name.
    const t = /^[a-z0-9_]+$/.test(name) ? resolveQuiet(name, [], missing) : null;
    if (t === null || typeInternalName(t.oid) !== name) throw new DbError('undefined_object', `type "${name}" does not exist`, at(pos));
  }
  const qualifier = /^\s*("?)([^".\s]+)\1\s*\./.exec(rest);
  const schema = qualifier ? (qualifier[1] ? qualifier[2]! : qualifier[2]!.toLowerCase()) : 'pg_catalog';
  if (schema !== 'pg_catalog') {
    if (SCHEMAS.has(schema)) throw missing();
    throw new DbError('invalid_schema_name', `schema "${schema}" does not exist`, at(pos));
  }
  let stmts: readonly ParsedStatement[];
  try {
    stmts = parseSql(`SELECT NULL::${rest}`);
  } catch (e) {
    if (e instanceof DbError && e.code === '42601') throw new DbError('syntax_error', `invalid type name "${rest}"`, at(pos));
    throw e;
  }
  const stmt = stmts.length === 1 ? stmts[0]!.stmt : null;
  // The text must be a type name and nothing more: no clause of the SELECT it was put in may have come from it.
  const bare = stmt?.kind === 'select' && stmt.from.length === 0 && stmt.where === null && stmt.targets.length === 1 && !stmt.distinct &&
    stmt.distinctOn === null && stmt.groupBy.length === 0 && stmt.having === null && stmt.orderBy.length === 0 && stmt.limit === null &&
    stmt.offset === null && stmt.locking === null && !/^setof\b|;|\b(collate|window)\b/i.test(rest.replace(/"[^"]*"/g, '""'));
  const first = bare ? stmt.targets[0]! : null;
  const target = first?.kind === 'expr' && first.alias === null ? first.expr : null;
  if (target?.kind !== 'cast' || target.arg.kind !== 'const' || target.arg.value !== null) {
    throw new DbError('syntax_error', `invalid type name "${rest}"`, at(pos));
  }
  const type = target.type;
  if (isSerialName(type.name)) throw missing(); // serial is CREATE TABLE's shorthand, not a type
  const array = type.name.startsWith('_') && type.name.length > 1;
  return withArrayIf(array, resolveQuiet(array ? type.name.slice(1) : type.name, type.mods, missing));
}

const withArrayIf = (array: boolean, t: SqlType): SqlType => (array ? withArrayElem(TEXT, t) : t);

function resolveQuiet(name: string, mods: readonly number[], missing: () => DbError): SqlType {
  try {
    return resolveType({ name, mods, pos: -1 });
  } catch (e) {
    if (e instanceof DbError && e.condition === 'undefined_object') throw missing();
    throw e;
  }
}
