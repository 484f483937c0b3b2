/**
 * The pg_catalog relations whose rows do not depend on the user's objects:
 * fixed rows (tablespaces, languages) or none at all, because ariesdb has no
 * such objects (extensions, operators and casts as catalog rows, foreign
 * servers, text search, event triggers, …). They exist so that psql's
 * meta-commands over them (\db, \dx, \do, \dC, \dL, \des, \dF, \dA…) answer
 * with an empty or short list rather than 42P01. pg-catalog.ts holds the
 * relations computed from the catalog, and the shared pieces are here.
 *
 * Every virtual relation also has PostgreSQL's system column tableoid (the
 * oid of the catalog relation itself, not listed by *), which psql's \dd and
 * \dL read; TABLE_OIDS gives it for the relations PostgreSQL numbers.
 */
import type { Value } from './api.ts';
import type { Catalog, TableDef } from './catalog.ts';
import type { ExecCtx } from './expr.ts';
import { BOOL, INT2, INT4, INT8, Oid, TEXT, type SqlType } from './types.ts';

export const OWNER = 10;

/** Indexes live inside their table's definition; index k of table t has this oid. */
export const indexOid = (t: TableDef, k: number): number => t.oid * 1000 + 100 + k;
export const TABLESPACE_DEFAULT = 1663, TABLESPACE_GLOBAL = 1664;
export const NS_PG_CATALOG = 11, NS_PUBLIC = 2200, NS_INFORMATION_SCHEMA = 13000;
/**
 * A session's temporary tables live in its schema pg_temp_N (N its owner
 * id, catalog.ts K1), whose oid is this base plus N: far above the oids
 * the engine hands out.
 */
export const NS_TEMP_BASE = 0x7f000000;
/** Whether a namespace oid is one of the pg_temp_N (owner ids stay far below 2^24). */
export const isTempNamespace = (oid: number): boolean => oid > NS_TEMP_BASE && oid < NS_TEMP_BASE + 0x1000000;
/** The schema (oid, name) of a table, index or sequence: public, or its owner's pg_temp_N. */
export const schemaOf = (o: { readonly temp?: number }): { oid: number; name: string } =>
  (o.temp === undefined ? { oid: NS_PUBLIC, name: 'public' } : { oid: NS_TEMP_BASE + o.temp, name: `pg_temp_${o.temp}` });
/** The schemas there are, by name. */
export const SCHEMAS: ReadonlyMap<string, number> = new Map([['pg_catalog', NS_PG_CATALOG], ['public', NS_PUBLIC], ['information_schema', NS_INFORMATION_SCHEMA]]);
/** The one database and its one role (a superuser, oid OWNER). */
export const DATABASE_NAME = 'ariesdb', DATABASE_OID = 5, USER_NAME = 'postgres';

const TYPES: Record<string, SqlType> = {
  oid: INT8, name: TEXT, char: TEXT, text: TEXT, bool: BOOL, int2: INT2, int4: INT4, int8: INT8, float4: { oid: Oid.FLOAT4, typmod: -1 },
};

export type Rec = Record<string, Value>;

export interface VirtualTable {
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  rows(cat: Catalog, ctx: ExecCtx): Rec[];
}

/** "a:oid b:name …" → columns. */
export function cols(spec: string): VirtualTable['columns'] {
  return spec.trim().split(/\s+/).map((p) => {
    const [name, t] = p.split(':') as [string, string];
    return { name, type: TYPES[t]! };
  });
}

/** The rows of a relation that is always empty here (select.ts isAlwaysEmpty recognizes it by this function). */
export const empty = (): Rec[] => [];

/** pg_class oids of PostgreSQL's catalogs, for tableoid and for regclass literals such as 'pg_catalog.pg_extension'::regclass. */
export const TABLE_OIDS: Readonly<Record<string, number>> = {
  pg_type: 1247, pg_attribute: 1249, pg_proc: 1255, pg_class: 1259, pg_authid: 1260, pg_database: 1262, pg_tablespace: 1213,
  pg_attrdef: 2604, pg_constraint: 2606, pg_inherits: 2611, pg_index: 2610, pg_operator: 2617, pg_opfamily: 2753, pg_opclass: 2616,
  pg_am: 2601, pg_amop: 2602, pg_amproc: 2603, pg_language: 2612, pg_rewrite: 2618, pg_trigger: 2620, pg_event_trigger: 3466,
  pg_description: 2609, pg_cast: 2605, pg_namespace: 2615, pg_conversion: 2607, pg_collation: 3456, pg_extension: 3079,
  pg_foreign_data_wrapper: 2328, pg_foreign_server: 1417, pg_foreign_table: 3118, pg_policy: 3256, pg_db_role_setting: 2964,
  pg_ts_config: 3602, pg_ts_dict: 3600, pg_ts_parser: 3601, pg_ts_template: 3764, pg_enum: 3501, pg_publication: 6104, pg_publication_rel: 6106,
  pg_publication_namespace: 6237, pg_subscription: 6100, pg_statistic_ext: 3381, pg_partitioned_table: 3350, pg_auth_members: 1261,
};

/**
 * Relations always empty here: we have none of these objects (operators,
 * casts and conversions are built into the executor, not catalog rows;
 * there is no text search). Name → columns.
 */
const EMPTY_RELATIONS: Record<string, string> = {
  pg_collation: `oid:oid collname:name collnamespace:oid collowner:oid collprovider:char collisdeterministic:bool
    collencoding:int4 collcollate:text collctype:text colliculocale:text collversion:text`,
  pg_policy: 'oid:oid polname:name polrelid:oid polcmd:char polpermissive:bool polroles:text polqual:text polwithcheck:text',
  pg_statistic_ext: 'oid:oid stxrelid:oid stxname:name stxnamespace:oid stxowner:oid stxstattarget:int4 stxkeys:text stxkind:text',
  pg_publication: `oid:oid pubname:name pubowner:oid puballtables:bool pubinsert:bool pubupdate:bool pubdelete:bool
    pubtruncate:bool pubviaroot:bool`,
  pg_publication_rel: 'oid:oid prpubid:oid prrelid:oid prqual:text prattrs:text',
  pg_publication_namespace: 'oid:oid pnpubid:oid pnnspid:oid',
  pg_subscription: `oid:oid subdbid:oid subname:name subowner:oid subenabled:bool subbinary:bool substream:bool
    subtwophasestate:char subdisableonerr:bool subconninfo:text subslotname:name subsynccommit:text subpublications:text
    subskiplsn:text`,
  pg_inherits: 'inhrelid:oid inhparent:oid inhseqno:int4 inhdetachpending:bool',
  pg_trigger: 'oid:oid tgrelid:oid tgparentid:oid tgname:name tgfoid:oid tgtype:int2 tgenabled:char tgisinternal:bool',
  pg_event_trigger: 'oid:oid evtname:name evtevent:name evtowner:oid evtfoid:oid evtenabled:char evttags:text',
  pg_rewrite: 'oid:oid rulename:name ev_class:oid ev_type:char ev_enabled:char is_instead:bool',
  pg_auth_members: 'oid:oid roleid:oid member:oid grantor:oid admin_option:bool',
  pg_enum: 'oid:oid enumtypid:oid enumsortorder:float4 enumlabel:name',
  pg_db_role_setting: 'setdatabase:oid setrole:oid setconfig:text',
  pg_extension: 'oid:oid extname:name extowner:oid extnamespace:oid extrelocatable:bool extversion:text extconfig:text extcondition:text',
  pg_operator: `oid:oid oprname:name oprnamespace:oid oprowner:oid oprkind:char oprcanmerge:bool oprcanhash:bool oprleft:oid
    oprright:oid oprresult:oid oprcom:oid oprnegate:oid oprcode:text oprrest:text oprjoin:text`,
  pg_cast: 'oid:oid castsource:oid casttarget:oid castfunc:oid castcontext:char castmethod:char',
  pg_conversion: 'oid:oid conname:name connamespace:oid conowner:oid conforencoding:int4 contoencoding:int4 conproc:text condefault:bool',
  pg_opclass: 'oid:oid opcmethod:oid opcname:name opcnamespace:oid opcowner:oid opcfamily:oid opcintype:oid opcdefault:bool opckeytype:oid',
  pg_opfamily: 'oid:oid opfmethod:oid opfname:name opfnamespace:oid opfowner:oid',
  pg_amop: `oid:oid amopfamily:oid amoplefttype:oid amoprighttype:oid amopstrategy:int2 amoppurpose:char amopopr:oid
    amopmethod:oid amopsortfamily:oid`,
  pg_amproc: 'oid:oid amprocfamily:oid amproclefttype:oid amprocrighttype:oid amprocnum:int2 amproc:text',
  pg_foreign_data_wrapper: 'oid:oid fdwname:name fdwowner:oid fdwhandler:oid fdwvalidator:oid fdwacl:text fdwoptions:text',
  pg_foreign_server: 'oid:oid srvname:name srvowner:oid srvfdw:oid srvtype:text srvversion:text srvacl:text srvoptions:text',
  pg_foreign_table: 'ftrelid:oid ftserver:oid ftoptions:text',
  pg_user_mappings: 'umid:oid srvid:oid srvname:name umuser:oid usename:name umoptions:text',
  pg_partitioned_table: 'partrelid:oid partstrat:char partnatts:int2 partdefid:oid',
  pg_ts_config: 'oid:oid cfgname:name cfgnamespace:oid cfgowner:oid cfgparser:oid',
  pg_ts_dict: 'oid:oid dictname:name dictnamespace:oid dictowner:oid dicttemplate:oid dictinitoption:text',
  pg_ts_parser: 'oid:oid prsname:name prsnamespace:oid prsstart:text prstoken:text prsend:text prsheadline:text prslextype:text',
  pg_ts_template: 'oid:oid tmplname:name tmplnamespace:oid tmplinit:text tmpllexize:text',
};

/** pg_class oids of PostgreSQL 15's catalog views (they have no tableoid), by the name FROM takes. */
export const VIEW_OIDS: Readonly<Record<string, number>> = {
  pg_roles: 12000, pg_user: 12014, pg_views: 12028, pg_tables: 12033, pg_indexes: 12043, pg_settings: 12104,
  'information_schema.columns': 13295, 'information_schema.key_column_usage': 13329, 'information_schema.referential_constraints': 13339,
  'information_schema.table_constraints': 13411, 'information_schema.tables': 13425, 'information_schema.views': 13483,
};

export const FIXED_TABLES: Record<string, VirtualTable> = {
  ...Object.fromEntries(Object.entries(EMPTY_RELATIONS).map(([name, spec]) => [name, { columns: cols(spec), rows: empty }])),
  pg_tablespace: {
    columns: cols('oid:oid spcname:name spcowner:oid spcacl:text spcoptions:text'),
    rows: () => [
      { oid: TABLESPACE_DEFAULT, spcname: 'pg_default', spcowner: OWNER },
      { oid: TABLESPACE_GLOBAL, spcname: 'pg_global', spcowner: OWNER },
    ],
  },
  // SQL statements are the only language: no CREATE FUNCTION, so no procedural language either (psql's \dL lists those).
  pg_language: {
    columns: cols('oid:oid lanname:name lanowner:oid lanispl:bool lanpltrusted:bool lanplcallfoid:oid laninline:oid lanvalidator:oid lanacl:text'),
    rows: () => [
      { oid: 12, lanname: 'internal', lanowner: OWNER, lanispl: false, lanpltrusted: false, lanplcallfoid: 0, laninline: 0, lanvalidator: 0 },
      { oid: 14, lanname: 'sql', lanowner: OWNER, lanispl: false, lanpltrusted: true, lanplcallfoid: 0, laninline: 0, lanvalidator: 0 },
    ],
  },
};
