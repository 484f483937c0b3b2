/**
 * fdatasync on a helper thread while the caller polls for its end.
 *
 * Why: a thread that sleeps in fdatasync comes back to cold caches. On a
 * virtual machine the idle vCPU halts, the host runs something else on the
 * core, and the commit's next transaction runs about twice as slow: with a
 * 95 µs fdatasync, one embedded TPC-B session spent 70 µs of CPU per
 * transaction after sleeping against 35 µs after spinning for as long
 * (docs/benchmarks.md). Oracle's "adaptive log file sync" polls for the
 * same reason. The caller still blocks, exactly as it would in
 * fdatasyncSync, so nothing about ordering or durability changes; only
 * the way it waits.
 *
 * Invariants:
 *  P1 fdatasyncPolled is used only for a wait the caller would otherwise
 *     spend blocked in fdatasyncSync on the event loop (the WAL writer's W8
 *     and W10), never where other work could run meanwhile; for that there
 *     is startPolledSync (P5).
 *  P2 Both spins are bounded: the caller polls for at most CALLER_SPIN_MS,
 *     then sleeps on the same word; the helper polls for new work for
 *     HELPER_SPIN_MS after its last request, then sleeps. An idle database
 *     burns no CPU, and a slow disk costs no more than the plain call.
 *  P3 Only with two or more CPUs: on one, the spinning caller would hold
 *     the core the helper needs.
 *  P4 An fdatasync error reaches the caller as the same errno error
 *     fdatasyncSync throws (W5 in src/wal/README.md turns it into a PANIC).
 *     If the helper thread cannot start or dies, the caller falls back to
 *     fdatasyncSync itself. The caller blocks the event loop, so it cannot
 *     learn of a death from the Worker's events: the helper marks itself
 *     ended in shared memory when its loop ends, and a request unanswered
 *     for GIVE_UP_MS (a helper that never started, or was killed outright)
 *     retires it. Syncing again what the helper may have synced is harmless.
 *  P5 The helper takes one request at a time. startPolledSync hands it one
 *     and returns at once, for a caller that has other work to run during
 *     the fdatasync and polls done() between pieces of it (the WAL writer's
 *     W14); until that request is waited for (not merely ended: its caller
 *     still has to read its result), every other polled sync falls back to
 *     the plain call. done() also answers true for a helper that died or
 *     stopped answering, so a caller polling it never polls for ever (P4).
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';

const CALLER_SPIN_MS = 2;
const GIVE_UP_MS = 2000;
const HELPER_SPIN_MS = 0.25;

// Words of the shared array.
const REQ = 0; // sequence number of the latest request (the helper waits on it)
const DONE = 1; // sequence number of the latest finished request (the caller waits on it)
const FD = 2; // descriptor to sync
const ERR = 3; // 0, or the index into ERRNO_NAMES + 1 of the failure
const STATE = 4; // 0 not started, 1 running, 2 ended

/** Error codes the helper can report by number; anything else reports as EIO. */
const ERRNO_NAMES = ['EIO', 'ENOSPC', 'EBADF', 'EINVAL', 'EROFS', 'EDQUOT'];

// Plain JavaScript, run with eval: the helper must not depend on how the
// parent loads TypeScript.
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const a = new Int32Array(workerData.sab);
const names = workerData.names;
const spinMs = workerData.spinMs;
Atomics.store(a, ${STATE}, 1);
try {
for (;;) {
  const seen = Atomics.load(a, ${DONE});
  const until = performance.now() + spinMs;
  let n = 0;
  while (Atomics.load(a, ${REQ}) === seen) {
    if ((++n & 1023) === 0 && performance.now() > until) {
      Atomics.wait(a, ${REQ}, seen);
      n = 0;
    }
  }
  const req = Atomics.load(a, ${REQ});
  let err = 0;
  try {
    fs.fdatasyncSync(Atomics.load(a, ${FD}));
  } catch (e) {
    err = names.indexOf(e.code) + 1 || 1;
  }
  Atomics.store(a, ${ERR}, err);
  Atomics.store(a, ${DONE}, req);
  Atomics.notify(a, ${DONE});
}
} finally {
  Atomics.store(a, ${STATE}, 2);
  Atomics.notify(a, ${DONE});
}
`;

class Helper {
  private readonly words = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT));
  private seq = 0;
  private dead = false;
  /** P5: a request was started and nobody has waited for it yet; no other may start until then. */
  private unanswered = false;
  /** When the latest request was handed over (P4 gives up on it GIVE_UP_MS later). */
  private startedAt = 0;

  constructor() {
    const worker = new Worker(HELPER_SOURCE, {
      eval: true,
      workerData: { sab: this.words.buffer, names: ERRNO_NAMES, spinMs: HELPER_SPIN_MS },
    });
    // P4: a helper that died leaves its caller to fdatasync alone; never keep the process alive for it.
    worker.on('error', () => { this.dead = true; });
    worker.on('exit', () => { this.dead = true; });
    worker.unref();
  }

  /**
   * P5: starts fdatasync(fd) on the helper and returns its request number at
   * once, or 0 when the helper is gone or still busy with an earlier request
   * (one request at a time: its words hold one descriptor).
   */
  start(fd: number): number {
    const w = this.words;
    if (this.dead || Atomics.load(w, STATE) === 2 || this.unanswered || Atomics.load(w, DONE) !== this.seq) return 0;
    this.unanswered = true;
    this.startedAt = performance.now();
    const seq = (this.seq = (this.seq % 0x3fffffff) + 1);
    Atomics.store(w, FD, fd);
    Atomics.store(w, REQ, seq);
    Atomics.notify(w, REQ);
    return seq;
  }

  /**
   * Whether waiting for request seq would return at once: it has ended, or
   * the helper is gone or has not answered for GIVE_UP_MS (P4: wait() then
   * retires it and the caller syncs by itself).
   */
  finished(seq: number): boolean {
    const w = this.words;
    return Atomics.load(w, DONE) === seq || Atomics.load(w, STATE) === 2 || this.dead || performance.now() - this.startedAt > GIVE_UP_MS;
  }

  /** Waits for request seq (P2); throws its error (P4). Returns false if the helper is gone: the caller syncs by itself. */
  wait(seq: number): boolean {
    this.unanswered = false; // P5: the next request may start once this one is waited for
    const w = this.words;
    const start = performance.now();
    let n = 0, sleeping = false;
    while (Atomics.load(w, DONE) !== seq) {
      if (!sleeping) {
        if ((++n & 1023) !== 0 || performance.now() - start <= CALLER_SPIN_MS) continue;
        sleeping = true; // P2: from now on, sleep in slices, watching for a helper that ended or never answers (P4)
      }
      if (Atomics.load(w, STATE) === 2 || performance.now() - this.startedAt > GIVE_UP_MS) {
        this.dead = true;
        return false;
      }
      Atomics.wait(w, DONE, Atomics.load(w, DONE), 50);
    }
    const err = Atomics.load(w, ERR);
    if (err !== 0) {
      const code = ERRNO_NAMES[err - 1] ?? 'EIO';
      throw Object.assign(new Error(`${code}: fdatasync failed`), { code });
    }
    return true;
  }

  /** Returns false if the helper is gone or busy (the caller then syncs by itself). */
  sync(fd: number): boolean {
    const seq = this.start(fd);
    return seq !== 0 && this.wait(seq);
  }
}

let helper: Helper | null | undefined;

/** P3: whether polled syncs are possible here at all. */
export function polledSyncAvailable(): boolean {
  return os.availableParallelism() >= 2;
}

function theHelper(): Helper | null {
  if (helper === undefined) {
    try {
      helper = polledSyncAvailable() ? new Helper() : null;
    } catch {
      helper = null;
    }
  }
  return helper;
}

/**
 * fdatasync(fd), blocking the caller as fdatasyncSync does but polling
 * instead of sleeping (P1). Falls back to the plain call where the helper
 * cannot run.
 */
export function fdatasyncPolled(fd: number, plain: () => void): void {
  const h = theHelper();
  if (h === null || !h.sync(fd)) plain();
}

/** An fdatasync under way on the helper thread (P5). */
export interface PolledSync {
  /** Whether it has ended (successfully or not); never blocks. */
  done(): boolean;
  /** Blocks until it ends, as fdatasyncPolled does; throws its error. */
  wait(): void;
}

/**
 * P5: fdatasync(fd) started on the helper without waiting, for a caller that
 * has other work to run meanwhile and asks done() between pieces of it; null
 * where the helper cannot take it (no helper, or one request already under
 * way), and the caller syncs another way.
 */
export function startPolledSync(fd: number, plain: () => void): PolledSync | null {
  const h = theHelper();
  const seq = h === null ? 0 : h.start(fd);
  if (h === null || seq === 0) return null;
  let ended = false;
  return {
    done: () => ended || h.finished(seq),
    wait: () => {
      if (ended) return;
      ended = true;
      if (!h.wait(seq)) plain();
    },
  };
}
