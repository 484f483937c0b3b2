/**
 * The RunCtx of one attempt of one statement (session.ts S3): what its
 * expressions may ask of the session — sequences, settings, advisory locks
 * — besides the engine, the transaction and the parameters.
 *
 * A class with methods, so that a statement makes one object for it, not a
 * dozen closures: pgbench's statements run by the million. Nothing may keep
 * it past its attempt (an attempt run again after a wait gets a new one).
 */
import { DbError } from '../errors/index.ts';
import type { StorageEngine, TxnHandle } from '../engine/api.ts';
import type { Value } from './api.ts';
import type { TemplateBinding } from './ast.ts';
import { loadCatalog, type Catalog, type SequenceDef } from './catalog.ts';
import type { Row } from './expr.ts';
import type { RunCtx } from './plan.ts';
import type { SequenceCache } from './sequences.ts';
import type { SessionSettings } from './settings.ts';
import type { AdvisoryLocks } from './advisory.ts';
import { checkWritable } from './txn-mode.ts';

/** currval() and lastval(): what nextval() last gave one session, per sequence and of any. */
export class LastValues {
  readonly bySequence = new Map<string, number | bigint>();
  last: number | bigint | undefined;
}

/** What an attempt needs of its session and database. */
export interface AttemptHost {
  readonly sequences: SequenceCache;
  readonly advisory: AdvisoryLocks;
  readonly settings: SessionSettings;
  readonly values: LastValues;
  /** The owner of the session's advisory locks. */
  readonly owner: object;
  /** The session's temporary tables' owner id (catalog.ts K1). */
  readonly tempOwner: number;
}

export class AttemptCtx implements RunCtx {
  sleepMs = 0;
  readonly outer: Row[] = [];
  readonly cache = new Map<unknown, unknown>();
  slotValues?: Map<number, Value>;
  /** The catalog read again for a sequence this very statement created (see seq()). */
  private reread: Catalog | null = null;

  constructor(
    readonly engine: StorageEngine,
    readonly txn: TxnHandle,
    readonly params: readonly Value[],
    readonly now: number,
    readonly readOnly: boolean,
    readonly template: TemplateBinding | undefined,
    readonly catalog: Catalog,
    private readonly host: AttemptHost,
    readonly copyRows = false,
  ) {}

  get tempOwner(): number {
    return this.host.tempOwner;
  }

  get storage(): StorageEngine {
    return this.engine;
  }

  /**
   * A sequence this very statement created (ALTER TABLE … ADD COLUMN serial
   * fills the rows) is not in the catalog it started with: the catalog is
   * read again, once per sequence missing from the last read, not once per row.
   */
  private seq(name: string): SequenceDef {
    let d = this.catalog.sequence(name) ?? this.reread?.sequence(name);
    if (!d && this.txn.touchedCatalog) d = (this.reread = loadCatalog(this.engine, this.txn, this.host.tempOwner)).sequence(name);
    if (!d) throw new DbError('undefined_table', `relation "${name}" does not exist`);
    return d;
  }

  nextval(name: string): number | bigint {
    const d = this.seq(name);
    checkWritable(this.readOnly, d.temp, 'nextval()');
    const v = this.host.sequences.nextval(d, this.txn);
    this.host.values.bySequence.set(name, v);
    this.host.values.last = v;
    return v;
  }

  lastval(): number | bigint | undefined {
    return this.host.values.last;
  }

  reincrement(name: string, increment: number): void {
    this.host.sequences.reincrement(this.seq(name), increment, this.txn);
  }

  currval(name: string): number | bigint {
    this.seq(name);
    const v = this.host.values.bySequence.get(name);
    if (v === undefined) throw new DbError('object_not_in_prerequisite_state', `currval of sequence "${name}" is not yet defined in this session`);
    return v;
  }

  setval(name: string, v: number | bigint, called: boolean): number | bigint {
    const d = this.seq(name);
    checkWritable(this.readOnly, d.temp, 'setval()');
    return this.host.sequences.setval(d, v, called, this.txn);
  }

  setting(name: string): string {
    return this.host.settings.get(name);
  }

  setSetting(name: string, value: string | null, local: boolean): void {
    this.host.settings.set(name, value, local);
  }

  get advisory(): RunCtx['advisory'] {
    const { advisory: locks, owner } = this.host;
    return {
      lock: (key, xact) => locks.lock(owner, key, xact),
      tryLock: (key, xact) => locks.tryLock(owner, key, xact),
      unlock: (key) => locks.unlock(owner, key),
      unlockAll: () => locks.release(owner, 'session'),
    };
  }
}
