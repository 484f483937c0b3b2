/** Helpers for server tests: a server on a free loopback port over a temp data directory, and a raw protocol client. */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from 'pg-protocol/dist/parser.js';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { serialize } from 'pg-protocol';
import { Database } from '../../src/sql/database.ts';
import { Server, type ServerOptions } from '../../src/server/server.ts';

export { serialize };

export interface TestServer {
  db: Database;
  server: Server;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** `settings` are the engine's, as `--set` gives them. */
export async function startServer(options: ServerOptions = {}, settings: Record<string, string> = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ariesdb-server-'));
  const db = await Database.open(dir, { settings });
  const server = await Server.listen(db, { host: '127.0.0.1', port: 0, ...options });
  return {
    db, server, port: server.port, dir,
    async stop() {
      await server.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A backend message as pg-protocol decodes it (fields vary by name). */
export type Msg = BackendMessage & Record<string, unknown>;

/** A client speaking raw bytes, decoding what comes back with pg-protocol's parser. */
export class RawClient {
  readonly messages: Msg[] = [];
  /** Bytes outside messages (the 'N' answering SSLRequest). */
  readonly raw: Buffer[] = [];
  closed = false;
  private readonly parser = new Parser();
  private waiters: (() => void)[] = [];
  private expectRawByte = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      if (this.expectRawByte && chunk.length > 0) {
        this.expectRawByte = false;
        this.raw.push(chunk.subarray(0, 1));
        chunk = chunk.subarray(1);
      }
      if (chunk.length > 0) this.parser.parse(chunk, (m) => this.messages.push(m as Msg));
      this.notify();
    });
    socket.on('close', () => { this.closed = true; this.notify(); });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects and completes startup (trust). */
  static async ready(port: number, params: Record<string, string> = {}): Promise<RawClient> {
    const c = await RawClient.connect(port);
    c.send(serialize.startup({ user: 'tester', database: 'db', ...params }));
    await c.until('readyForQuery');
    return c;
  }

  expectSslAnswer(): void {
    this.expectRawByte = true;
  }

  send(...buffers: Buffer[]): void {
    this.socket.write(Buffer.concat(buffers));
  }

  /** Sends bytes one at a time, each in its own write (with a pause so TCP does not merge them all). */
  async sendSlowly(data: Buffer, step = 1): Promise<void> {
    for (let i = 0; i < data.length; i += step) {
      this.socket.write(data.subarray(i, i + step));
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits for the next message named `name` (after `from`), returns the messages up to and including it. */
  async until(name: string, timeoutMs = 10_000): Promise<Msg[]> {
    const deadline = Date.now() + timeoutMs;
    let from = this.consumed;
    for (;;) {
      const i = this.messages.findIndex((m, k) => k >= from && m.name === name);
      if (i >= 0) {
        const out = this.messages.slice(this.consumed, i + 1);
        this.consumed = i + 1;
        return out;
      }
      if (this.closed) throw new Error(`connection closed while waiting for ${name}; got ${JSON.stringify(this.messages.slice(this.consumed).map((m) => m.name))}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${name}; got ${JSON.stringify(this.messages.slice(this.consumed).map((m) => m.name))}`);
      from = this.messages.length;
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }
  private consumed = 0;

  /** Waits until the server closes the connection; returns the messages received meanwhile. */
  async untilClosed(timeoutMs = 10_000): Promise<Msg[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the server to close');
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
    return this.messages.slice(this.consumed);
  }

  /** Runs one simple query and returns its messages through ReadyForQuery. */
  async query(sql: string): Promise<Msg[]> {
    this.send(serialize.query(sql));
    return this.until('readyForQuery');
  }

  end(): void {
    this.socket.end(serialize.end());
  }
}

export const names = (ms: readonly Msg[]): string[] => ms.map((m) => m.name);
