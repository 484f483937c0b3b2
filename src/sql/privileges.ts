/**
 * has_database_privilege, has_schema_privilege, has_table_privilege and
 * has_sequence_privilege, as psql (\l+) and drivers call them.
 *
 * There is one role, postgres, a superuser, and no GRANT: every privilege
 * is held, so the answer is true. What the functions still check is what
 * PostgreSQL checks before it looks at grants: the role and the object
 * exist (by name or oid), and the privilege string names privileges of that
 * kind of object (a comma-separated list, each optionally WITH GRANT
 * OPTION), each failure with PostgreSQL's SQLSTATE.
 */
import { DbError } from '../errors/index.ts';
import type { Catalog } from './catalog.ts';
import type { Compiled, Fn } from './expr.ts';
import { BOOL, Oid } from './types.ts';

const PRIVILEGES: Record<string, readonly string[]> = {
  database: ['CREATE', 'CONNECT', 'TEMPORARY', 'TEMP'],
  schema: ['CREATE', 'USAGE'],
  table: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'],
  sequence: ['USAGE', 'SELECT', 'UPDATE'],
};

const SCHEMAS = new Map([['pg_catalog', 11], ['public', 2200], ['information_schema', 13000]]);
const ROLE = { name: 'postgres', oid: 10 };
const DATABASE = { name: 'ariesdb', oid: 5 };

type Kind = keyof typeof PRIVILEGES;

const KINDS: Record<string, Kind> = {
  has_database_privilege: 'database', has_schema_privilege: 'schema', has_table_privilege: 'table', has_sequence_privilege: 'sequence',
};

/** The compiled function, or null when `name` is not one of these (or the arguments do not fit). */
export function privilegeFunction(name: string, args: readonly Compiled[], cat: Catalog, isVirtual: (name: string) => boolean): Compiled | null {
  const kind = KINDS[name];
  if (!kind || args.length < 2 || args.length > 3) return null;
  const [user, object, privilege] = args.length === 3 ? args : [null, args[0]!, args[1]!];
  const byOid = (a: Compiled): boolean => a.type.oid === Oid.INT2 || a.type.oid === Oid.INT4 || a.type.oid === Oid.INT8;
  const u: Fn | null = user ? user.fn : null, o = object.fn, p = privilege!.fn;
  const userByOid = user ? byOid(user) : false, objectByOid = byOid(object);
  return { type: BOOL, fn: (r, c) => {
    const uv = u ? u(r, c) : ROLE.name, ov = o(r, c), pv = p(r, c);
    if (uv === null || ov === null || pv === null) return null;
    checkRole(uv, userByOid);
    const exists = objectExists(kind, ov, objectByOid, cat, isVirtual);
    checkPrivileges(kind, String(pv));
    // PostgreSQL answers NULL for an oid that names nothing, and fails for a name that does.
    return exists ? true : null;
  } };
}

function checkRole(v: unknown, byOid: boolean): void {
  if (byOid ? Number(v) === ROLE.oid : String(v) === ROLE.name) return;
  if (byOid) return; // an unknown role oid: PostgreSQL too answers as for a role without grants (here: every privilege)
  throw new DbError('undefined_object', `role "${String(v)}" does not exist`);
}

/** Whether the object exists; a name that names nothing fails as PostgreSQL's does, an oid gives false (NULL). */
function objectExists(kind: Kind, v: unknown, byOid: boolean, cat: Catalog, isVirtual: (name: string) => boolean): boolean {
  const name = String(v);
  switch (kind) {
    case 'database':
      if (byOid) return Number(v) === DATABASE.oid;
      if (name === DATABASE.name) return true;
      throw new DbError('invalid_catalog_name', `database "${name}" does not exist`);
    case 'schema':
      if (byOid) return [...SCHEMAS.values()].includes(Number(v));
      if (SCHEMAS.has(name)) return true;
      throw new DbError('invalid_schema_name', `schema "${name}" does not exist`);
    case 'table': case 'sequence': {
      if (byOid) {
        const oid = Number(v);
        return kind === 'table' ? cat.all().some((t) => t.oid === oid) || cat.allViews().some((x) => x.oid === oid) : cat.allSequences().some((s) => s.oid === oid);
      }
      const bare = name.replace(/^(public|pg_catalog)\./, '').replace(/^"(.*)"$/, '$1');
      const relation = !!cat.get(bare) || !!cat.view(bare) || (!cat.relationExists(bare) && isVirtual(name.replace(/^pg_catalog\./, '')));
      if (kind === 'table' && (relation || cat.sequence(bare))) return true;
      if (kind === 'sequence' && cat.sequence(bare)) return true;
      if (kind === 'sequence' && relation) throw new DbError('wrong_object_type', `"${bare}" is not a sequence`);
      throw new DbError('undefined_table', `relation "${name}" does not exist`);
    }
    default: return false;
  }
}

function checkPrivileges(kind: Kind, text: string): void {
  for (const part of text.split(',')) {
    const word = part.trim().replace(/\s+WITH\s+GRANT\s+OPTION$/i, '').toUpperCase();
    if (!PRIVILEGES[kind]!.includes(word)) throw new DbError('invalid_parameter_value', `unrecognized privilege type: "${part.trim()}"`);
  }
}
