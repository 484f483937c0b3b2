/**
 * has_database_privilege, has_schema_privilege, has_table_privilege and
 * has_sequence_privilege, as psql (\l+) and drivers call them.
 *
 * There is one role, postgres, a superuser, and no GRANT: it holds every
 * privilege. What the functions check is what PostgreSQL checks before it
 * looks at grants: the role and the object exist (by oid, or by name:
 * exact for roles, databases and schemas, read as reg-names.ts R1 for
 * relations), and the privilege string names privileges of
 * that kind of object (a comma-separated list, each optionally followed by
 * WITH GRANT OPTION), each failure with PostgreSQL's SQLSTATE. An oid that
 * names no object gives NULL. The answer is true if any privilege listed is
 * held (holdsAny: never the obsolete RULE; the pseudo-role public holds
 * PostgreSQL's default grants only, an unknown role oid nothing).
 */
import { DbError } from '../errors/index.ts';
import type { Catalog } from './catalog.ts';
import { at, type Compiled, type Fn } from './expr.ts';
import { DATABASE_NAME, DATABASE_OID, OWNER, SCHEMAS, USER_NAME } from './pg-catalog-fixed.ts';
import { regclassOid, relationsByOid } from './reg-names.ts';
import { BOOL, Oid } from './types.ts';

type Kind = 'database' | 'schema' | 'table' | 'sequence';

const PRIVILEGES: Record<Kind, readonly string[]> = {
  database: ['CREATE', 'CONNECT', 'TEMPORARY', 'TEMP'],
  schema: ['CREATE', 'USAGE'],
  table: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'RULE'],
  sequence: ['USAGE', 'SELECT', 'UPDATE'],
};

const KINDS: Record<string, Kind> = {
  has_database_privilege: 'database', has_schema_privilege: 'schema', has_table_privilege: 'table', has_sequence_privilege: 'sequence',
};

/** The compiled function, or null when `name` is not one of these (or the arguments do not fit). */
export function privilegeFunction(name: string, args: readonly Compiled[], cat: Catalog, pos: number): Compiled | null {
  const kind = KINDS[name];
  if (!kind || args.length < 2 || args.length > 3) return null;
  const [user, object, privilege] = args.length === 3 ? args : [null, args[0]!, args[1]!];
  const byOid = (a: Compiled): boolean => a.type.oid === Oid.INT2 || a.type.oid === Oid.INT4 || a.type.oid === Oid.INT8;
  const u: Fn | null = user ? user.fn : null, o = object.fn, p = privilege!.fn;
  const userByOid = user ? byOid(user) : false, objectByOid = byOid(object);
  const relations = kind === 'table' || kind === 'sequence' ? relationsByOid(cat) : null;
  return { type: BOOL, fn: (r, c) => {
    const uv = u ? u(r, c) : USER_NAME, ov = o(r, c), pv = p(r, c);
    if (uv === null || ov === null || pv === null) return null;
    const who = role(uv, userByOid, pos);
    const exists = objectExists(kind, ov, objectByOid, cat, relations, pos);
    const words = privileges(kind, String(pv), pos);
    if (exists === false) return null;
    return holdsAny(who, kind, words, exists === 'catalog');
  } };
}

/** Who the role is: the superuser, the pseudo-role public, or an unknown oid (no privileges). Role names are exact, not identifiers. */
function role(v: unknown, byOid: boolean, pos: number): 'superuser' | 'public' | 'nobody' {
  if (byOid) return Number(v) === OWNER ? 'superuser' : Number(v) === 0 ? 'public' : 'nobody';
  const name = String(v);
  if (name === USER_NAME) return 'superuser';
  if (name === 'public') return 'public';
  throw new DbError('undefined_object', `role "${name}" does not exist`, at(pos));
}

/** Whether the object exists; a name that names nothing fails as PostgreSQL's does, an oid gives false (NULL). */
function objectExists(kind: Kind, v: unknown, byOid: boolean, cat: Catalog, relations: ReturnType<typeof relationsByOid> | null, pos: number): boolean | 'catalog' {
  switch (kind) {
    case 'database': {
      if (byOid) return Number(v) === DATABASE_OID;
      const name = String(v); // exact, as PostgreSQL looks a database name up
      if (name === DATABASE_NAME) return true;
      throw new DbError('invalid_catalog_name', `database "${name}" does not exist`, at(pos));
    }
    case 'schema': {
      if (byOid) return [...SCHEMAS.values()].includes(Number(v));
      const name = String(v);
      if (SCHEMAS.has(name)) return true;
      throw new DbError('invalid_schema_name', `schema "${name}" does not exist`, at(pos));
    }
    case 'table': case 'sequence': {
      const oid = byOid ? Number(v) : regclassOid(String(v), cat, pos);
      const rel = relations!.get(oid);
      if (!rel) return false;
      if (kind === 'sequence' && rel.kind !== 'sequence') throw new DbError('wrong_object_type', `"${rel.name}" is not a sequence`, at(pos));
      return rel.kind === 'catalog' ? 'catalog' : true;
    }
  }
}

/** The privileges listed (22023 for a word that is no privilege of this kind), upper case, WITH GRANT OPTION dropped. */
function privileges(kind: Kind, text: string, pos: number): string[] {
  return text.split(',').map((part) => {
    const word = part.trim().replace(/ WITH GRANT OPTION$/i, '').toUpperCase();
    if (!PRIVILEGES[kind].includes(word)) throw new DbError('invalid_parameter_value', `unrecognized privilege type: "${part.trim()}"`, at(pos));
    return word;
  });
}

/**
 * Whether the role holds any of the privileges: the superuser every one
 * but the obsolete RULE; PUBLIC what PostgreSQL 15 grants it by default
 * (CONNECT and TEMP on the database, USAGE on the schemas, SELECT on the
 * catalogs), nothing on the user's objects.
 */
function holdsAny(who: 'superuser' | 'public' | 'nobody', kind: Kind, words: readonly string[], catalog: boolean): boolean {
  if (who === 'nobody') return false;
  const granted = who === 'superuser' ? PRIVILEGES[kind].filter((w) => w !== 'RULE')
    : kind === 'database' ? ['CONNECT', 'TEMPORARY', 'TEMP'] : kind === 'schema' ? ['USAGE'] : catalog && kind === 'table' ? ['SELECT'] : [];
  return words.some((w) => granted.includes(w));
}
