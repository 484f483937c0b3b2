/**
 * The messages a client sends (protocol 3.0), as a discriminated union, and
 * the codes that identify them on the wire. Backend messages are built by
 * serializer.ts; this file only names what parser.ts produces.
 *
 * Framing (PostgreSQL's "Message Formats" chapter):
 *
 *   startup phase   int32 length (counting itself) | int32 code | body
 *   afterwards      byte1 type | int32 length (counting itself, not the type) | body
 *
 * The startup-phase code is a protocol version (3.0 = 196608) or one of the
 * special request codes below; after SSLRequest or GSSENCRequest answered
 * 'N' the client sends another startup-phase packet.
 */

export const PROTOCOL_3 = 3 << 16;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH: a longer startup packet is refused before it is read. */
export const MAX_STARTUP_PACKET = 10_000;
/** PostgreSQL's PQ_LARGE_MESSAGE_LIMIT: the default bound on one message's body. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 * 1024 - 1;

/** Messages of the startup phase. */
export type StartupPacket =
  | { readonly kind: 'startup'; readonly major: number; readonly minor: number; readonly params: ReadonlyMap<string, string> }
  | { readonly kind: 'ssl-request' }
  | { readonly kind: 'gssenc-request' }
  | { readonly kind: 'cancel-request'; readonly processId: number; readonly secretKey: number };

/** Format code of a parameter or result column: 0 text, 1 binary. */
export type FormatCode = 0 | 1;

/** Messages of the normal phase, keyed by their type byte. */
export type FrontendMessage =
  | { readonly kind: 'query'; readonly sql: string }
  | { readonly kind: 'parse'; readonly name: string; readonly sql: string; readonly paramTypes: readonly number[] }
  | {
    readonly kind: 'bind'; readonly portal: string; readonly statement: string;
    readonly paramFormats: readonly FormatCode[]; readonly params: readonly (Buffer | null)[];
    readonly resultFormats: readonly FormatCode[];
  }
  | { readonly kind: 'describe'; readonly target: 'S' | 'P'; readonly name: string }
  | { readonly kind: 'execute'; readonly portal: string; readonly maxRows: number }
  | { readonly kind: 'close'; readonly target: 'S' | 'P'; readonly name: string }
  | { readonly kind: 'sync' }
  | { readonly kind: 'flush' }
  | { readonly kind: 'terminate' }
  | { readonly kind: 'copy-data'; readonly data: Buffer }
  | { readonly kind: 'copy-done' }
  | { readonly kind: 'copy-fail'; readonly message: string }
  /** PasswordMessage, SASLInitialResponse and SASLResponse share 'p'; only the authentication state tells them apart. */
  | { readonly kind: 'password'; readonly body: Buffer }
  | { readonly kind: 'function-call' };

export type FrontendKind = FrontendMessage['kind'];

/** Type byte → message kind; any other byte is a protocol violation. */
export const FRONTEND_TYPES: Readonly<Record<string, FrontendKind>> = {
  Q: 'query', P: 'parse', B: 'bind', D: 'describe', E: 'execute', C: 'close', S: 'sync', H: 'flush',
  X: 'terminate', d: 'copy-data', c: 'copy-done', f: 'copy-fail', p: 'password', F: 'function-call',
};

/** Transaction status in ReadyForQuery. */
export type ReadyStatus = 'I' | 'T' | 'E';
