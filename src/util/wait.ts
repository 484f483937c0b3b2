/**
 * A wait for something another party signals (a transaction's end, an
 * advisory key coming free), bounded by lock_timeout and stopped by a
 * statement's abort signal (statement_timeout, cancel). Whichever comes
 * first settles it, and the waiter's registration is taken back, so a
 * given-up wait leaves nothing behind.
 */
import { DbError } from '../errors/index.ts';

/**
 * `register` enrols the waiter: `wake` ends the wait, `fail` ends it with an
 * error; it returns how to take the enrolment back. timeoutMs 0: no limit.
 */
export function boundedWait(
  register: (wake: () => void, fail: (e: unknown) => void) => () => void,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
    };
    const giveUp = (e: unknown): void => {
      unregister();
      settle();
      reject(e);
    };
    const aborted = (): void => giveUp(signal!.reason);
    const unregister = register(() => { settle(); resolve(); }, (e) => { settle(); reject(e); });
    if (timeoutMs > 0) timer = setTimeout(() => giveUp(new DbError('lock_not_available', 'canceling statement due to lock timeout')), timeoutMs);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
