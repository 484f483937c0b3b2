/**
 * The wire-protocol server: a TCP listener handing each accepted socket to
 * a Connection (connection.ts) with a Session of its own.
 *
 *   const server = await Server.listen(db, { host: '127.0.0.1', port: 5433 });
 *   …
 *   await server.close();   // stop accepting; every connection finishes its
 *                           // message, gets 57P01 and closes its session
 *   await db.close();       // then the shutdown checkpoint
 *
 * max_connections counts connections from their startup packet to their
 * end; one more is refused with 53300. A CancelRequest names a connection
 * by the process id and secret key of its BackendKeyData.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { ConditionName } from '../errors/index.ts';
import type { Session } from '../sql/session.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './messages.ts';

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port (see Server.port). */
  port?: number;
  maxConnections?: number;
  maxMessageBytes?: number;
  startupTimeoutMs?: number;
  /** user → password for SCRAM-SHA-256; absent = trust every client. */
  passwords?: ReadonlyMap<string, string> | null;
}

/** The part of Database the server uses. */
export interface SessionSource {
  session(): Session;
}

export const SERVER_VERSION = '15.0 (ariesdb)';

/** ParameterStatus at startup: what libpq and drivers look at. */
const SERVER_PARAMETERS = {
  server_version: SERVER_VERSION,
  server_encoding: 'UTF8',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  integer_datetimes: 'on',
  standard_conforming_strings: 'on',
  TimeZone: 'UTC',
};

export class Server implements ConnectionHost {
  readonly maxMessageBytes: number;
  readonly startupTimeoutMs: number;
  readonly passwords: ReadonlyMap<string, string> | null;
  readonly serverParameters = SERVER_PARAMETERS;
  private readonly maxConnections: number;
  private readonly all = new Set<Connection>();
  private readonly admitted = new Set<Connection>();
  private nextProcessId = 1000 + Math.floor(Math.random() * 1000);
  private closing: Promise<void> | null = null;

  private constructor(private readonly db: SessionSource, private readonly net: NetServer, o: ServerOptions) {
    this.maxConnections = o.maxConnections ?? 100;
    this.maxMessageBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.startupTimeoutMs = o.startupTimeoutMs ?? 60_000;
    this.passwords = o.passwords ?? null;
  }

  static listen(db: SessionSource, options: ServerOptions = {}): Promise<Server> {
    const net = createServer({ pauseOnConnect: false });
    const server = new Server(db, net, options);
    net.on('connection', (socket) => server.accept(socket));
    return new Promise((resolve, reject) => {
      net.once('error', reject);
      net.listen(options.port ?? 5433, options.host ?? '127.0.0.1', () => {
        net.off('error', reject);
        net.on('error', () => {}); // errors after listening concern single sockets, handled by their connection
        resolve(server);
      });
    });
  }

  get port(): number {
    const a = this.net.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  /** Connections open now (admitted or still starting up). */
  get connectionCount(): number {
    return this.all.size;
  }

  private accept(socket: Socket): void {
    if (this.closing) { socket.destroy(); return; }
    socket.on('error', () => {}); // a reset by the peer is the end of that connection, nothing more
    const c = new Connection(socket, this, this.nextProcessId++, randomBytes(4).readInt32BE(0));
    this.all.add(c);
    void c.done.finally(() => this.all.delete(c));
  }

  newSession(): Session {
    return this.db.session();
  }

  admit(c: Connection): ConditionName | null {
    if (this.closing) return 'cannot_connect_now';
    if (this.admitted.size >= this.maxConnections) return 'too_many_connections';
    this.admitted.add(c);
    return null;
  }

  release(c: Connection): void {
    this.admitted.delete(c);
  }

  cancel(processId: number, secretKey: number): void {
    for (const c of this.admitted) if (c.processId === processId && c.secretKey === secretKey) c.requestCancel();
  }

  /** Stops accepting, ends every connection (each after the message in hand), and waits for them. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.net.close(() => resolve()));
      for (const c of this.all) c.stop();
      await Promise.all([...this.all].map((c) => c.done));
      await stopped;
    })();
    return this.closing;
  }
}
