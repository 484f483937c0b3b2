/**
 * What the statement handlers (simple-query.ts, extended-query.ts, copy.ts)
 * need of their connection: its session, the outgoing messages, the
 * incoming ones (COPY FROM reads its data itself), and the cancel flag.
 */
import { asDbError } from '../errors/index.ts';
import type { Session } from '../sql/session.ts';
import { ProtocolError } from './errors.ts';
import type { FrontendMessage } from './messages.ts';
import { errorResponse } from './serializer.ts';
import type { Writer } from './writer.ts';

export interface Backend {
  readonly session: Session;
  send(message: Buffer): void;
  /** The output the hot messages are written into directly (serializer.ts put*); send() copies into it too. */
  readonly writer: Writer;
  flush(): Promise<void>;
  flushIfFull(): Promise<void>;
  /** The next message from the client; null when it went away or the server is stopping. */
  next(): Promise<FrontendMessage | null>;
  /** Set by a CancelRequest naming this connection while it works (cleared before each message). */
  readonly cancelRequested: boolean;
  /** ParameterStatus for each reported parameter whose value changed since last said; called before each ReadyForQuery. */
  reportParameterChanges(): void;
}

/**
 * Sends an error to the client. A ProtocolError is not the client's
 * statement failing, and a FATAL one (the shutdown's 57P01) ends the
 * session: both go on up and end the connection, which reports them.
 */
export function reportError(b: Backend, e: unknown): void {
  if (e instanceof ProtocolError) throw e;
  const err = asDbError(e);
  if (err.severity === 'FATAL') throw err;
  b.send(errorResponse(err));
}

/** 57014 for a cancel seen between statements; the same error a running statement gets (sql/interrupt.ts). */
export { cancelError as canceled } from '../sql/interrupt.ts';
