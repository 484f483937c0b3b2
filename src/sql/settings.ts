/**
 * SET / SHOW. Engine settings (checkpoint_timeout, max_wal_size, …) go to
 * the storage engine, which validates them and rejects unknown names with
 * 42704; they are engine-wide. The ones PostgreSQL lets each session choose
 * (synchronous_commit, lock_timeout, statement_timeout) are validated by the
 * engine's rules but kept here, per session, and passed to the engine with
 * each commit or lock wait. A few
 * session-level parameters that clients and drivers set or read on connect
 * (client_encoding, DateStyle, application_name, server_version, …) are kept
 * per session here and have no effect beyond being shown.
 *
 * Their engine value is only the default (`--set`): one client's limit must
 * not stop another's statements.
 *
 * The per-session values are transactional, as in PostgreSQL:
 *
 *  G1. A change made while a transaction is open (SET, SET LOCAL, RESET,
 *      set_config(), SET SESSION CHARACTERISTICS) is undone if the
 *      transaction rolls back — ROLLBACK, COMMIT of a failed block, an
 *      autocommit or implicit transaction that fails — and by ROLLBACK TO a
 *      savepoint taken before it. RELEASE keeps it. Outside a transaction
 *      (an autocommit SET) there is nothing to undo it: it just takes effect.
 *  G2. At commit, each parameter changed in the transaction ends at the value
 *      of its last plain SET, or, if it was only SET LOCAL, at its value
 *      before the transaction: SET LOCAL never outlasts its transaction, and
 *      a plain SET after it does. PostgreSQL's GUC stack merges savepoint
 *      levels on RELEASE to the same result, so one flat log with a mark per
 *      savepoint suffices.
 *  G3. Parameters the session keeps elsewhere (`define`: transaction_read_only
 *      is its transaction's mode, txn-mode.ts R3) follow their own rules and
 *      are not logged here.
 *  G4. Engine-wide settings (checkpoint_timeout, full_page_writes, …) are
 *      not a session's to change: SET of one fails with 55P02, as in
 *      PostgreSQL, where they are read from the configuration (here
 *      `--set` at start, or the embedding program's engine.setSetting).
 *      One client must not switch off full_page_writes for all the others.
 */
import { DbError } from '../errors/index.ts';
import type { StorageEngine } from '../engine/api.ts';
import { parseSetting, settingContext, settingDescription, settingNames } from '../engine/settings.ts';
import { UTC_ZONE, parseZone, type Zone } from './timezone.ts';
import type { QueryResult } from './api.ts';
import { parseBool } from './txn-mode.ts';
import { Oid } from './types.ts';

const SESSION_DEFAULTS: Record<string, { value: string; readonly?: boolean; bool?: boolean; description: string }> = {
  application_name: { value: '', description: 'Sets the application name to be reported in statistics and logs.' },
  client_encoding: { value: 'UTF8', description: "Sets the client's character set encoding." },
  client_min_messages: { value: 'notice', description: 'Sets the message levels that are sent to the client.' },
  datestyle: { value: 'ISO, MDY', description: 'Sets the display format for date and time values.' },
  default_transaction_isolation: { value: 'read committed', description: 'Sets the transaction isolation level of each new transaction.' },
  default_transaction_read_only: { value: 'off', bool: true, description: 'Sets the default read-only status of new transactions.' },
  extra_float_digits: { value: '1', description: 'Sets the number of digits displayed for floating-point values.' },
  integer_datetimes: { value: 'on', readonly: true, description: 'Shows whether datetimes are integer based.' },
  intervalstyle: { value: 'postgres', description: 'Sets the display format for interval values.' },
  search_path: { value: '"$user", public', description: 'Sets the schema search order for names that are not schema-qualified.' },
  server_encoding: { value: 'UTF8', readonly: true, description: 'Shows the server (database) character set encoding.' },
  server_version: { value: '15.0', readonly: true, description: 'Shows the server version.' },
  server_version_num: { value: '150000', readonly: true, description: 'Shows the server version as an integer.' },
  standard_conforming_strings: { value: 'on', description: "Causes '...' strings to treat backslashes literally." },
  timezone: { value: 'UTC', description: 'Sets the time zone for displaying and interpreting time stamps.' },
  transaction_isolation: { value: 'read committed', description: 'Sets the current transaction\'s isolation level.' },
};

/** Engine settings each session may set for itself (the engine's value is the default). */
const PER_SESSION = new Set(['synchronous_commit', 'lock_timeout', 'statement_timeout']);

/** PostgreSQL's canonical spelling, which SHOW uses as its column name. */
const DISPLAY_NAMES: Record<string, string> = { datestyle: 'DateStyle', intervalstyle: 'IntervalStyle', timezone: 'TimeZone' };

/** The session-level parameters with their defaults (pg_settings lists them). */
export function sessionSettingList(): { name: string; value: string; readonly: boolean; description: string }[] {
  return Object.entries(SESSION_DEFAULTS).map(([name, d]) => ({ name: DISPLAY_NAMES[name] ?? name, value: d.value, readonly: !!d.readonly, description: d.description }));
}

/** One change of a per-session value inside a transaction (undefined: the default). */
interface Change {
  name: string;
  prev: string | undefined;
  value: string | undefined;
  local: boolean;
}

export class SessionSettings {
  private readonly values = new Map<string, string>();
  /** Parameters whose value the session keeps elsewhere (transaction_read_only: its transaction's mode). */
  private readonly dynamic = new Map<string, { get(): string; set(value: string | null): void; description: string }>();
  /** A transaction is open: changes go to `undo` (G1). */
  private inTransaction = false;
  /** This transaction's changes of per-session values, oldest first (G1, G2); a savepoint is a length of it. */
  private undo: Change[] = [];
  /** statement_timeout in ms, parsed once per change rather than per statement. */
  private timeoutMs: number;
  private zoneText = 'UTC';
  private zoneValue: Zone = UTC_ZONE;
  /** Moves whenever a per-session value changes, restores included: the server then reports what changed (ParameterStatus). */
  private changes = 0;
  /** What RESET goes back to where it is not the default: the values a client's startup packet set (keepAsResetValues). */
  private resetValues = new Map<string, string>();

  constructor(private readonly engine: StorageEngine) {
    this.timeoutMs = parseSetting('statement_timeout', this.get('statement_timeout')) as number;
  }

  define(name: string, p: { get(): string; set(value: string | null): void; description: string }): void {
    this.dynamic.set(name, p);
  }

  /** See `changes`. */
  get version(): number {
    return this.changes;
  }

  /** The session's TimeZone (timezone.ts), parsed once per value. */
  get zone(): Zone {
    const text = this.values.get('timezone');
    if (text === undefined) return UTC_ZONE;
    if (text !== this.zoneText) { this.zoneValue = parseZone(text); this.zoneText = text; }
    return this.zoneValue;
  }

  /** statement_timeout in milliseconds (0: none). */
  get statementTimeoutMs(): number {
    return this.timeoutMs;
  }

  /** The values set so far become what RESET and RESET ALL restore, as PostgreSQL keeps a connection's startup parameters. */
  keepAsResetValues(): void {
    this.resetValues = new Map(this.values);
  }

  /** RESET ALL: every parameter this session set, back to its reset value; transactional like SET. */
  resetAll(): QueryResult {
    for (const name of new Set([...this.values.keys(), ...this.resetValues.keys()])) {
      if (this.values.get(name) !== this.resetValues.get(name)) this.set(name, null);
    }
    return { command: 'RESET', rowCount: null, fields: [], rows: [], tag: 'RESET' };
  }

  set(name: string, value: string | null, local = false): QueryResult {
    const own = SESSION_DEFAULTS[name];
    const dynamic = this.dynamic.get(name);
    if (value === null && !dynamic) value = this.resetValues.get(name) ?? null;
    if (dynamic) {
      dynamic.set(value);
    } else if (own || PER_SESSION.has(name)) {
      if (own?.readonly) throw new DbError('object_not_in_prerequisite_state', `parameter "${name}" cannot be changed`);
      let canonical = value;
      if (value !== null && own?.bool) canonical = parseBool(name, value) ? 'on' : 'off';
      else if (value !== null && name === 'timezone') canonical = parseZone(value).name; // 22023 for an unknown zone
      else if (value !== null && !own) {
        const parsed = parseSetting(name, value); // 22023 before anything changes
        canonical = typeof parsed === 'boolean' ? (parsed ? 'on' : 'off') : typeof parsed === 'string' ? parsed : value.trim();
      }
      const next = canonical ?? undefined;
      if (this.inTransaction) this.undo.push({ name, prev: this.values.get(name), value: next, local });
      this.assign(name, next);
    } else {
      this.engine.getSetting(name); // 42704 for unknown names
      const when = { runtime: ' now', restart: ' without restarting the server', init: '' }[settingContext(name) ?? 'init'];
      throw new DbError('cant_change_runtime_param', `parameter "${name}" cannot be changed${when}`); // G4
    }
    return { command: 'SET', rowCount: null, fields: [], rows: [], tag: 'SET' };
  }

  get(name: string): string {
    const dynamic = this.dynamic.get(name);
    if (dynamic) return dynamic.get();
    const own = SESSION_DEFAULTS[name];
    if (own) return this.values.get(name) ?? own.value;
    if (PER_SESSION.has(name)) return this.values.get(name) ?? this.engineDefault(name);
    return this.engine.getSetting(name);
  }

  /** This session's synchronous_commit: whether COMMIT waits for the WAL flush. */
  synchronousCommit(): boolean {
    return this.get('synchronous_commit') !== 'off';
  }

  /** This session's lock_timeout in milliseconds (0: wait forever). */
  lockTimeoutMs(): number {
    return parseSetting('lock_timeout', this.get('lock_timeout')) as number;
  }

  /** A transaction begins: changes from now on can be undone (G1). */
  beginTransaction(): void {
    this.inTransaction = true;
  }

  /** A position in this transaction's changes, for a savepoint. */
  mark(): number {
    return this.undo.length;
  }

  /** ROLLBACK TO (or a statement run again): the changes made after `mark` are undone, newest first (G1). */
  rollbackTo(mark: number): void {
    for (let i = this.undo.length - 1; i >= mark; i--) this.assign(this.undo[i]!.name, this.undo[i]!.prev);
    this.undo.length = mark;
  }

  /** The end of a transaction: a rollback undoes its changes (G1); a commit keeps them but SET LOCAL's (G2). */
  endTransaction(commit: boolean): void {
    this.inTransaction = false;
    if (this.undo.length === 0) return;
    if (!commit) return this.rollbackTo(0);
    const final = new Map<string, string | undefined>();
    for (const c of this.undo) {
      if (!final.has(c.name)) final.set(c.name, c.prev);
      if (!c.local) final.set(c.name, c.value);
    }
    for (const [name, value] of final) this.assign(name, value);
    this.undo = [];
  }

  /** Stores a validated value (undefined: back to the default). */
  private assign(name: string, value: string | undefined): void {
    this.changes++;
    if (value === undefined) this.values.delete(name); else this.values.set(name, value);
    if (name === 'statement_timeout') this.timeoutMs = parseSetting(name, this.get(name)) as number;
  }

  /** The engine's value of a per-session setting ('0', off, from an engine that lacks it). */
  private engineDefault(name: string): string {
    try { return this.engine.getSetting(name); } catch { return '0'; }
  }

  show(name: string): QueryResult {
    if (name === 'all') {
      const names = [...new Set([...Object.keys(SESSION_DEFAULTS), ...this.dynamic.keys(), ...settingNames()])].sort();
      const rows: string[][] = [];
      for (const n of names) {
        let value: string;
        try { value = this.get(n); } catch { continue; } // a setting this engine does not have
        rows.push([DISPLAY_NAMES[n] ?? n, value, SESSION_DEFAULTS[n]?.description ?? this.dynamic.get(n)?.description ?? settingDescription(n)]);
      }
      const text = (name: string): { name: string; typeOid: number; typmod: number } => ({ name, typeOid: Oid.TEXT, typmod: -1 });
      return { command: 'SHOW', rowCount: rows.length, fields: [text('name'), text('setting'), text('description')], rows, tag: 'SHOW' };
    }
    const value = this.get(name);
    return { command: 'SHOW', rowCount: 1, fields: [{ name: DISPLAY_NAMES[name] ?? name, typeOid: Oid.TEXT, typmod: -1 }], rows: [[value]], tag: 'SHOW' };
  }
}
