/**
 * Stopping a running statement: statement_timeout and a client's cancel,
 * both SQLSTATE 57014 as in PostgreSQL, and the database's shutdown (57P01,
 * session.ts S9).
 *
 * A statement's work is synchronous apart from its waits (session.ts, S4),
 * so it is stopped in two ways:
 *
 *  I1. Waits (row locks, pg_sleep) observe `signal`, which the timeout's
 *      timer or cancel() aborts; the wait then ends at once with the reason.
 *  I2. Timers cannot fire during synchronous work, so the places rows flow
 *      call tick(), and every CHECK_EVERY-th call compares the clock with
 *      the deadline of the statement running now. JavaScript runs one
 *      synchronous stretch at a time, so a single module-level deadline
 *      serves every session: runSync sets it for exactly one stretch and
 *      puts the previous one back after.
 *
 * A cancel cannot arrive during synchronous work (the CancelRequest needs
 * the event loop too); it is seen at the statement's next wait, or by the
 * server between statements.
 */
import { DbError } from '../errors/index.ts';

/** Rows between clock reads: a read costs tens of nanoseconds, a row far more, so the check stays well under 1%. */
const CHECK_EVERY = 1024;
let countdown = CHECK_EVERY;
/** performance.now() value after which the running statement fails; Infinity when none is armed. */
let deadline = Infinity;

export const timeoutError = (): DbError => new DbError('query_canceled', 'canceling statement due to statement timeout');
export const cancelError = (): DbError => new DbError('query_canceled', 'canceling statement due to user request');

/** Called once per row where rows flow (scans, joins, generate_series). */
export function tick(): void {
  if (--countdown === 0) checkDeadline();
}

function checkDeadline(): void {
  countdown = CHECK_EVERY;
  if (deadline !== Infinity && performance.now() >= deadline) throw timeoutError();
}

/**
 * One statement's interruption state. Most statements never wait, so the
 * AbortController and the timeout's timer are made only when the first wait
 * asks for the signal; before that, the deadline alone (I2) and `reason` say
 * whether the statement is stopped.
 */
export class StatementInterrupt {
  private readonly deadline: number;
  private reason: DbError | null = null;
  private ctl: AbortController | null = null;
  private timer: NodeJS.Timeout | undefined;

  /** timeoutMs 0: no timeout, only cancel(). */
  constructor(timeoutMs: number) {
    this.deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
  }

  /** Aborted when the statement is stopped (I1); made on first use, with the timer for what is left of the timeout. */
  get signal(): AbortSignal {
    if (this.ctl) return this.ctl.signal;
    this.ctl = new AbortController();
    if (this.reason) this.ctl.abort(this.reason);
    else if (this.deadline !== Infinity) this.timer = setTimeout(() => this.stop(timeoutError()), Math.max(0, this.deadline - performance.now()));
    return this.ctl.signal;
  }

  /** A client's cancel. */
  cancel(): void {
    this.stop(cancelError());
  }

  /** Stops the statement with e (the session's terminate(): 57P01); the first reason given sticks. */
  stop(e: DbError): void {
    if (this.reason) return;
    this.reason = e;
    this.ctl?.abort(e);
  }

  /** Throws if the statement is stopped: cancelled, or past its deadline (a timer may not have run yet). */
  private check(): void {
    if (this.reason) throw this.reason;
    if (this.deadline !== Infinity && performance.now() >= this.deadline) this.stop(timeoutError());
    if (this.reason) throw this.reason;
  }

  /**
   * Runs synchronous work with the deadline armed (I2); throws first if the
   * statement is stopped. The clock is left to tick(): a statement too short
   * to reach a check may finish a little past its deadline.
   */
  runSync<T>(work: () => T): T {
    if (this.reason) throw this.reason;
    const outer = deadline;
    deadline = this.deadline;
    try {
      return work();
    } finally {
      deadline = outer;
    }
  }

  /** pg_sleep: resolves after ms, or rejects with the reason as soon as the statement is stopped (I1). */
  sleep(ms: number): Promise<void> {
    this.check();
    const s = this.signal;
    return new Promise((resolve, reject) => {
      const stop = (): void => { clearTimeout(t); reject(s.reason); };
      const t = setTimeout(() => { s.removeEventListener('abort', stop); resolve(); }, ms);
      s.addEventListener('abort', stop, { once: true });
    });
  }

  /** Ends the statement's timer, if one was made. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}
