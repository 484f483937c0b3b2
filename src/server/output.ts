/**
 * The connection's outgoing bytes. Messages are collected and written in one
 * piece when the protocol says the client is waiting (ReadyForQuery, Flush,
 * CopyInResponse, authentication requests) or when much has piled up; a
 * write the socket cannot take at once is awaited ('drain'), so a slow
 * client slows its own connection and nobody else's.
 *
 * The writes of all connections wait for the end of the event loop's poll
 * phase (setImmediate) and then go out back to back: every statement whose
 * message arrived in this turn runs first, and a client woken by one write
 * is often still awake for the next (on loopback the writer pays the
 * reader's wake-up inside its write syscall).
 */
import type { Socket } from 'node:net';
import { Writer } from './writer.ts';

const FLUSH_AT = 64 * 1024;

const due = new Set<Output>();
let scheduled = false;

function writeDue(): void {
  scheduled = false;
  const outs = [...due];
  due.clear();
  for (const o of outs) o.writeNow();
}

export class Output {
  /**
   * The messages collected, back to back: the hot ones (serializer.ts
   * put*) are written here directly, others are copied in by send(). Its
   * memory is reused once the socket has taken a write whole.
   */
  readonly w = new Writer(16 * 1024, false);
  private written: (() => void)[] = [];

  constructor(private readonly socket: Socket) {}

  send(message: Buffer): void {
    this.w.bytes(message);
  }

  /** Writes whatever is collected; resolves once the socket has taken it (or is gone). */
  flush(): Promise<void> {
    if (this.w.length === 0 && this.written.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.written.push(resolve);
      due.add(this);
      if (!scheduled) {
        scheduled = true;
        setImmediate(writeDue);
      }
    });
  }

  /** Part of writeDue: one write of everything collected, then the waiters resolve (after 'drain' if the socket is full). */
  writeNow(): void {
    const waiters = this.written;
    this.written = [];
    const wake = (): void => { for (const w of waiters) w(); };
    if (this.w.length === 0) return wake();
    const data = this.w.take();
    const s = this.socket;
    if (s.destroyed || !s.writable) return wake();
    const all = s.write(data);
    // Bytes the socket did not hand to the kernel at once are still referenced by it.
    if (s.writableLength > 0) this.w.detach();
    if (all) return wake();
    const done = (): void => { s.off('drain', done); s.off('close', done); wake(); };
    s.on('drain', done);
    s.on('close', done);
  }

  /** Flushes only when enough has piled up (large results). */
  flushIfFull(): Promise<void> {
    return this.w.length >= FLUSH_AT ? this.flush() : Promise.resolve();
  }
}
