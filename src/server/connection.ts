/**
 * One client connection: startup, authentication, then one message at a
 * time until Terminate, end of stream, or a protocol violation.
 *
 *   startup   SSLRequest / GSSENCRequest → 'N' (no encryption), and the
 *             client sends its startup packet again; CancelRequest → passed
 *             to the server, connection closed without a reply;
 *             StartupMessage 3.x → authentication (trust, or SCRAM-SHA-256
 *             with a password file), a Session, the startup parameters
 *             applied as SET, ParameterStatus*, BackendKeyData, ReadyForQuery.
 *   messages  read one at a time (C1): the next is not looked at before the
 *             previous one is finished, so a session sees its statements in
 *             order; other connections interleave at every await.
 *
 * C2. Bytes that cannot be a message (unknown type, bad length, a body that
 *     does not parse) end the connection with ErrorResponse FATAL 08P01.
 * C3. Whatever ends the connection, its session is closed, which rolls back
 *     an open transaction.
 * C4. Reading pauses the socket while more than HIGH_WATER bytes wait
 *     unparsed, so a client that pipelines without reading cannot make the
 *     server buffer without bound.
 */
import type { Socket } from 'node:net';
import { DbError, adminShutdown, asDbError, type ConditionName } from '../errors/index.ts';
import type { Session } from '../sql/session.ts';
import { reportError, type Backend } from './backend.ts';
import { ProtocolError } from './errors.ts';
import { ExtendedQuery } from './extended-query.ts';
import type { FrontendMessage, StartupPacket } from './messages.ts';
import { Output } from './output.ts';
import { FrontendParser } from './parser.ts';
import { passwordFor, SCRAM_MECHANISM, ScramExchange } from './scram.ts';
import {
  authenticationOk, authenticationSasl, authenticationSaslContinue, authenticationSaslFinal, backendKeyData,
  errorResponse, negotiateProtocolVersion, noticeResponse, parameterStatus, readyForQuery,
} from './serializer.ts';
import { simpleQuery } from './simple-query.ts';
import { quoteIdent, quoteLiteral } from './sql-text.ts';
import type { Writer } from './writer.ts';

const HIGH_WATER = 1024 * 1024;

/**
 * The parameters a client is told about (ParameterStatus) that a session can
 * change, by the name on the wire and the session's name for them. As in
 * PostgreSQL 14+, a change is reported just before the next ReadyForQuery,
 * once, with the value then current (a SET rolled back in the same message
 * may report nothing).
 */
const REPORTED: readonly (readonly [wire: string, setting: string])[] = [
  ['application_name', 'application_name'], ['client_encoding', 'client_encoding'], ['DateStyle', 'datestyle'],
  ['IntervalStyle', 'intervalstyle'], ['standard_conforming_strings', 'standard_conforming_strings'], ['TimeZone', 'timezone'],
];

/** What a connection needs of its server. */
export interface ConnectionHost {
  readonly maxMessageBytes: number;
  readonly startupTimeoutMs: number;
  /** user → password; null = trust. */
  readonly passwords: ReadonlyMap<string, string> | null;
  /** ParameterStatus values sent at startup (application_name and is_superuser are per connection). */
  readonly serverParameters: Readonly<Record<string, string>>;
  newSession(): Session;
  /** Admits an authenticated-to-be connection, or says why not. */
  admit(c: Connection): ConditionName | null;
  cancel(processId: number, secretKey: number): void;
  release(c: Connection): void;
}

export class Connection implements Backend {
  private readonly parser: FrontendParser;
  private readonly out: Output;
  private wake: (() => void) | null = null;
  private ended = false;
  private stopping = false;
  private sessionOrNull: Session | null = null;
  private extended: ExtendedQuery | null = null;
  private busy = false;
  private cancelFlag = false;
  /** Counted against max_connections (released at the end). */
  private admitted = false;
  /** The REPORTED values the client was last told, and the session's settingsVersion then. */
  private readonly reported = new Map<string, string>();
  private reportedVersion = -1;
  /** Settles when the connection is closed and its session released. */
  readonly done: Promise<void>;

  constructor(private readonly socket: Socket, private readonly host: ConnectionHost, readonly processId: number, readonly secretKey: number) {
    this.parser = new FrontendParser(host.maxMessageBytes);
    this.out = new Output(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.parser.push(chunk);
      if (this.parser.buffered > HIGH_WATER) socket.pause(); // C4
      this.wakeUp();
    });
    const end = (): void => { this.ended = true; this.wakeUp(); };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
    this.done = this.run();
  }

  get session(): Session {
    if (!this.sessionOrNull) throw new Error('no session before startup');
    return this.sessionOrNull;
  }

  get cancelRequested(): boolean {
    return this.cancelFlag;
  }

  /**
   * CancelRequest for this connection: honoured only while it works on a
   * message. The statement running now fails with 57014 at its next wait
   * (session.cancel); the flag stops the rest of the message after it.
   */
  requestCancel(): void {
    if (!this.busy) return;
    this.cancelFlag = true;
    this.sessionOrNull?.cancel();
  }

  /**
   * Server shutdown, as PostgreSQL's fast shutdown: the statement running
   * now ends with 57P01 at its next wait (a COMMIT already logged finishes),
   * and the connection says goodbye with that FATAL (reportError) or, idle,
   * with its own.
   */
  stop(): void {
    this.stopping = true;
    this.sessionOrNull?.stopForShutdown();
    this.wakeUp();
  }

  send(message: Buffer): void { this.out.send(message); }
  get writer(): Writer { return this.out.w; }

  reportParameterChanges(): void {
    const s = this.session;
    if (s.settingsVersion === this.reportedVersion) return;
    this.reportedVersion = s.settingsVersion;
    for (const [wire, setting] of REPORTED) {
      const v = s.setting(setting);
      if (this.reported.get(wire) === v) continue;
      this.reported.set(wire, v);
      this.out.send(parameterStatus(wire, v));
    }
  }
  flush(): Promise<void> { return this.out.flush(); }
  flushIfFull(): Promise<void> { return this.out.flushIfFull(); }

  async next(): Promise<FrontendMessage | null> {
    for (;;) {
      if (this.stopping) return null;
      const m = this.parser.next();
      if (m) return m;
      if (this.ended) return null;
      this.socket.resume();
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }

  private async nextStartup(): Promise<StartupPacket | null> {
    for (;;) {
      if (this.stopping) return null;
      const p = this.parser.nextStartup();
      if (p) return p;
      if (this.ended) return null;
      this.socket.resume();
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private fatal(condition: ConditionName, message: string): void {
    this.out.send(errorResponse(new DbError(condition, message, { severity: 'FATAL' })));
  }

  private async run(): Promise<void> {
    try {
      const timer = setTimeout(() => { this.fatal('protocol_violation', 'timeout expired during startup'); this.ended = true; this.wakeUp(); }, this.host.startupTimeoutMs);
      let ready: boolean;
      try {
        ready = await this.startup();
      } finally {
        clearTimeout(timer);
      }
      if (ready) await this.loop();
    } catch (e) {
      if (e instanceof ProtocolError) this.fatal('protocol_violation', e.message); // C2
      else this.out.send(errorResponse(asDbError(e), 'FATAL'));
    } finally {
      await this.out.flush().catch(() => {});
      this.socket.end();
      if (this.sessionOrNull) await this.sessionOrNull.close().catch(() => {}); // C3
      if (this.admitted) this.host.release(this);
      this.socket.destroySoon();
    }
  }

  private async loop(): Promise<void> {
    this.extended = new ExtendedQuery(this);
    this.session.protocolStatements = this.extended;
    for (;;) {
      const m = await this.next();
      if (m === null) {
        if (this.stopping) this.out.send(errorResponse(adminShutdown('FATAL')));
        return;
      }
      if (m.kind === 'terminate') return;
      this.busy = true;
      this.cancelFlag = false;
      try {
        await this.dispatch(m);
      } finally {
        this.busy = false;
      }
    }
  }

  private async dispatch(m: FrontendMessage): Promise<void> {
    const x = this.extended!;
    if (ExtendedQuery.handles(m.kind)) return x.handle(m as Parameters<ExtendedQuery['handle']>[0]);
    if (x.skipping) return; // X1: everything up to Sync is discarded
    switch (m.kind) {
      case 'query': return simpleQuery(this, m.sql);
      case 'copy-data': case 'copy-done': case 'copy-fail':
        return; // left over from a COPY that failed: dropped, as PostgreSQL does
      case 'function-call':
        reportError(this, new DbError('feature_not_supported', 'the function call protocol message is not supported'));
        this.out.send(readyForQuery('I'));
        return this.flush();
      case 'password':
        throw new ProtocolError('unexpected password message');
      default:
        throw new ProtocolError(`unexpected message ${m.kind}`);
    }
  }

  /** Returns whether the connection goes on to the message loop (false: refused, failed, or a cancel request). */
  private async startup(): Promise<boolean> {
    let packet: StartupPacket | null;
    for (;;) {
      packet = await this.nextStartup();
      if (packet === null) return false;
      if (packet.kind === 'ssl-request' || packet.kind === 'gssenc-request') {
        this.socket.write('N');
        continue;
      }
      if (packet.kind === 'cancel-request') {
        this.host.cancel(packet.processId, packet.secretKey);
        return false;
      }
      break;
    }
    if (packet.major !== 3) {
      this.fatal('feature_not_supported', `unsupported frontend protocol ${packet.major}.${packet.minor}: server supports 3.0 to 3.0`);
      return false;
    }
    const extensions = [...packet.params.keys()].filter((k) => k.startsWith('_pq_.'));
    if (packet.minor > 0 || extensions.length > 0) this.out.send(negotiateProtocolVersion(0, extensions));
    const user = packet.params.get('user');
    if (!user) {
      this.fatal('invalid_authorization_specification', 'no PostgreSQL user name specified in startup packet');
      return false;
    }
    const refused = this.host.admit(this);
    if (refused !== null) {
      this.fatal(refused, refused === 'too_many_connections' ? 'sorry, too many clients already' : 'the database system is shutting down');
      return false;
    }
    this.admitted = true;
    try {
      if (!(await this.authenticate(user))) return false;
      this.sessionOrNull = this.host.newSession();
      this.session.onNotice = (n) => this.out.send(noticeResponse(n));
      await this.applyStartupParameters(packet.params);
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      this.out.send(errorResponse(asDbError(e), 'FATAL'));
      return false;
    }
    const params: Record<string, string> = { ...this.host.serverParameters, is_superuser: 'on', session_authorization: user };
    // The session's own values, after the startup packet's and -c options' SETs.
    for (const [wire, setting] of REPORTED) this.reported.set(wire, (params[wire] = this.session.setting(setting)));
    this.reportedVersion = this.session.settingsVersion;
    for (const [name, value] of Object.entries(params)) this.out.send(parameterStatus(name, value));
    this.out.send(backendKeyData(this.processId, this.secretKey));
    this.out.send(readyForQuery('I'));
    await this.out.flush();
    return true;
  }

  /** AuthenticationOk, after SCRAM when a password file is in use; false after a failure (already reported). */
  private async authenticate(user: string): Promise<boolean> {
    const passwords = this.host.passwords;
    if (passwords !== null) {
      const password = passwordFor(passwords, user);
      const scram = new ScramExchange(password ?? '');
      this.out.send(authenticationSasl([SCRAM_MECHANISM]));
      await this.out.flush();
      const first = await this.next();
      if (first?.kind !== 'password') return this.authFailed(user, first);
      this.out.send(authenticationSaslContinue(scram.start(first.body)));
      await this.out.flush();
      const final = await this.next();
      if (final?.kind !== 'password') return this.authFailed(user, final);
      const verdict = scram.finish(final.body);
      if (verdict === null || password === undefined) return this.authFailed(user, final);
      this.out.send(authenticationSaslFinal(verdict));
    }
    this.out.send(authenticationOk());
    return true;
  }

  private authFailed(user: string, m: FrontendMessage | null): false {
    if (m !== null && m.kind !== 'password') throw new ProtocolError(`expected SASL response, got message type ${m.kind}`);
    if (m !== null) this.fatal('invalid_password', `password authentication failed for user "${user}"`);
    return false;
  }

  /**
   * Startup parameters other than user, database and replication are
   * settings, as in PostgreSQL: application_name, client_encoding,
   * DateStyle, … and `options` ("-c name=value --name=value"). A bad one in
   * `options` refuses the connection; the others are best effort.
   */
  private async applyStartupParameters(params: ReadonlyMap<string, string>): Promise<void> {
    const set = (name: string, value: string): Promise<unknown> => this.session.query(`SET ${quoteIdent(name.toLowerCase())} TO ${quoteLiteral(value)}`);
    for (const [name, value] of params) {
      if (['user', 'database', 'replication', 'options', 'client_encoding'].includes(name) || name.startsWith('_pq_.')) continue;
      await set(name, value).catch(() => {});
    }
    for (const [name, value] of parseOptions(params.get('options') ?? '')) await set(name, value);
    this.session.keepSettingsAsResetValues();
  }
}

/** `options` startup parameter: "-c a=b --c=d", backslash escapes a space. */
export function parseOptions(options: string): [string, string][] {
  const words: string[] = [];
  let w = '', any = false;
  for (let i = 0; i < options.length; i++) {
    const c = options[i]!;
    if (c === '\\' && i + 1 < options.length) { w += options[++i]; any = true; continue; }
    if (/\s/.test(c)) { if (any) words.push(w); w = ''; any = false; continue; }
    w += c;
    any = true;
  }
  if (any) words.push(w);
  const out: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    let item = words[i]!;
    if (item === '-c') item = words[++i] ?? '';
    else if (item.startsWith('-c')) item = item.slice(2);
    else if (item.startsWith('--')) item = item.slice(2);
    else throw new DbError('invalid_parameter_value', `invalid command-line argument for server process: ${item}`);
    const eq = item.indexOf('=');
    if (eq <= 0) throw new DbError('syntax_error', `-c ${item} requires a value`);
    out.push([item.slice(0, eq).replaceAll('-', '_'), item.slice(eq + 1)]);
  }
  return out;
}
