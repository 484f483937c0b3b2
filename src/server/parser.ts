/**
 * Cuts the client's byte stream into messages, however TCP split or joined
 * them: bytes are pushed as they arrive, next() returns a message once all
 * of it is there, or null. A header is checked as soon as it is complete —
 * an unknown type byte, a length below 4 or above the limit ends the
 * connection before any body is buffered (ProtocolError, 08P01).
 */
import { ProtocolError } from './errors.ts';
import {
  CANCEL_REQUEST_CODE, DEFAULT_MAX_MESSAGE_BYTES, FRONTEND_TYPES, GSSENC_REQUEST_CODE, MAX_STARTUP_PACKET,
  SSL_REQUEST_CODE, type FormatCode, type FrontendKind, type FrontendMessage, type StartupPacket,
} from './messages.ts';
import { Reader } from './reader.ts';

export class FrontendParser {
  private chunks: Buffer[] = [];
  private total = 0;

  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes received and not yet returned as messages. */
  get buffered(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** The next startup-phase packet, or null until it is complete. */
  nextStartup(): StartupPacket | null {
    const head = this.peek(4);
    if (!head) return null;
    const len = head.readInt32BE(0);
    if (len < 8 || len > MAX_STARTUP_PACKET) throw new ProtocolError('invalid length of startup packet');
    if (this.total < len) return null;
    const r = new Reader(this.take(len).subarray(4));
    return decodeStartup(r);
  }

  /** The next normal-phase message, or null until it is complete. */
  next(): FrontendMessage | null {
    if (this.total < 5) return null;
    if (this.chunks[0]!.length < 5) this.chunks = [Buffer.concat(this.chunks)];
    const head = this.chunks[0]!; // the header is its first 5 bytes
    const type = String.fromCharCode(head[0]!);
    const kind = Object.hasOwn(FRONTEND_TYPES, type) ? FRONTEND_TYPES[type]! : undefined;
    if (kind === undefined) throw new ProtocolError(`invalid frontend message type ${head[0]}`);
    const len = head.readInt32BE(1);
    if (len < 4) throw new ProtocolError(`invalid message length ${len}`);
    if (len - 4 > this.maxMessageBytes) {
      throw new ProtocolError(`message of ${len - 4} bytes exceeds the limit of ${this.maxMessageBytes} bytes`);
    }
    if (this.total < len + 1) return null;
    return decodeMessage(kind, new Reader(this.take(len + 1, 5)));
  }

  /** The first n bytes without consuming them, or null if fewer have arrived. */
  private peek(n: number): Buffer | null {
    if (this.total < n) return null;
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  /** Consumes the next n bytes and returns them from `skip` on. */
  private take(n: number, skip = 0): Buffer {
    const first = this.chunks[0]!;
    this.total -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift(); else this.chunks[0] = first.subarray(n);
      return first.subarray(skip, n);
    }
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - o);
      c.copy(out, o, 0, k);
      o += k;
      if (k === c.length) this.chunks.shift(); else this.chunks[0] = c.subarray(k);
    }
    return skip === 0 ? out : out.subarray(skip);
  }
}

function decodeStartup(r: Reader): StartupPacket {
  const code = r.int32();
  if (code === SSL_REQUEST_CODE) { r.end(); return { kind: 'ssl-request' }; }
  if (code === GSSENC_REQUEST_CODE) { r.end(); return { kind: 'gssenc-request' }; }
  if (code === CANCEL_REQUEST_CODE) {
    const processId = r.int32();
    const secretKey = r.int32();
    r.end();
    return { kind: 'cancel-request', processId, secretKey };
  }
  const major = code >>> 16, minor = code & 0xffff;
  const params = new Map<string, string>();
  if (major === 3) {
    for (;;) {
      const name = r.cstring();
      if (name === '') break;
      params.set(name, r.cstring());
    }
    r.end();
  }
  return { kind: 'startup', major, minor, params };
}

function formats(r: Reader): FormatCode[] {
  const n = r.int16();
  if (n < 0) throw new ProtocolError('invalid format code count');
  const out: FormatCode[] = [];
  for (let i = 0; i < n; i++) {
    const f = r.int16();
    if (f !== 0 && f !== 1) throw new ProtocolError(`invalid format code: ${f}`);
    out.push(f);
  }
  return out;
}

function target(r: Reader): 'S' | 'P' {
  const t = String.fromCharCode(r.int8());
  if (t !== 'S' && t !== 'P') throw new ProtocolError(`invalid DESCRIBE/CLOSE message subtype ${t.charCodeAt(0)}`);
  return t;
}

/** One decoder per kind: a kind without one does not compile. */
const decoders: { [K in FrontendKind]: (r: Reader) => Extract<FrontendMessage, { kind: K }> } = {
  query: (r) => { const sql = r.cstring(); r.end(); return { kind: 'query', sql }; },
  parse: (r) => {
    const name = r.cstring();
    const sql = r.cstring();
    const n = r.int16();
    if (n < 0) throw new ProtocolError('invalid parameter count');
    const paramTypes: number[] = [];
    for (let i = 0; i < n; i++) paramTypes.push(r.int32() >>> 0);
    r.end();
    return { kind: 'parse', name, sql, paramTypes };
  },
  bind: (r) => {
    const portal = r.cstring();
    const statement = r.cstring();
    const paramFormats = formats(r);
    const n = r.int16();
    if (n < 0) throw new ProtocolError('invalid parameter count');
    const params: (Buffer | null)[] = [];
    for (let i = 0; i < n; i++) {
      const len = r.int32();
      params.push(len === -1 ? null : r.bytes(len));
    }
    const resultFormats = formats(r);
    r.end();
    return { kind: 'bind', portal, statement, paramFormats, params, resultFormats };
  },
  describe: (r) => { const t = target(r); const name = r.cstring(); r.end(); return { kind: 'describe', target: t, name }; },
  execute: (r) => { const portal = r.cstring(); const maxRows = r.int32(); r.end(); return { kind: 'execute', portal, maxRows }; },
  close: (r) => { const t = target(r); const name = r.cstring(); r.end(); return { kind: 'close', target: t, name }; },
  sync: (r) => { r.end(); return { kind: 'sync' }; },
  flush: (r) => { r.end(); return { kind: 'flush' }; },
  terminate: (r) => { r.end(); return { kind: 'terminate' }; },
  'copy-data': (r) => ({ kind: 'copy-data', data: r.rest() }),
  'copy-done': (r) => { r.end(); return { kind: 'copy-done' }; },
  'copy-fail': (r) => { const message = r.cstring(); r.end(); return { kind: 'copy-fail', message }; },
  password: (r) => ({ kind: 'password', body: r.rest() }),
  'function-call': (r) => { r.rest(); return { kind: 'function-call' }; },
};

function decodeMessage(kind: FrontendKind, r: Reader): FrontendMessage {
  return decoders[kind](r);
}
