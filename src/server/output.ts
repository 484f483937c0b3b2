/**
 * The connection's outgoing bytes. Messages are collected and written in one
 * piece when the protocol says the client is waiting (ReadyForQuery, Flush,
 * CopyInResponse, authentication requests) or when much has piled up; a
 * write the socket cannot take at once is awaited ('drain'), so a slow
 * client slows its own connection and nobody else's.
 */
import type { Socket } from 'node:net';

const FLUSH_AT = 64 * 1024;

export class Output {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly socket: Socket) {}

  send(message: Buffer): void {
    this.chunks.push(message);
    this.size += message.length;
  }

  /** Writes whatever is collected; resolves once the socket has taken it (or is gone). */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    const s = this.socket;
    if (s.destroyed || !s.writable) return;
    if (s.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => { s.off('drain', done); s.off('close', done); resolve(); };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  /** Flushes only when enough has piled up (large results). */
  flushIfFull(): Promise<void> {
    return this.size >= FLUSH_AT ? this.flush() : Promise.resolve();
  }
}
