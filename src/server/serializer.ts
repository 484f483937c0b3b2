/**
 * Backend messages, one function each, returning the finished bytes.
 * Names follow the protocol documentation's message names.
 */
import type { Field } from '../sql/api.ts';
import type { ErrorWithContext } from './errors.ts';
import type { FormatCode, ReadyStatus } from './messages.ts';
import { Writer } from './writer.ts';

const AUTH_OK = 0, AUTH_SASL = 10, AUTH_SASL_CONTINUE = 11, AUTH_SASL_FINAL = 12;

const empty = (type: string): Buffer => new Writer(8).finish(type);

export const authenticationOk = (): Buffer => new Writer(16).int32(AUTH_OK).finish('R');

export function authenticationSasl(mechanisms: readonly string[]): Buffer {
  const w = new Writer().int32(AUTH_SASL);
  for (const m of mechanisms) w.cstring(m);
  return w.int8(0).finish('R');
}

export const authenticationSaslContinue = (data: string): Buffer =>
  new Writer().int32(AUTH_SASL_CONTINUE).bytes(Buffer.from(data)).finish('R');

export const authenticationSaslFinal = (data: string): Buffer =>
  new Writer().int32(AUTH_SASL_FINAL).bytes(Buffer.from(data)).finish('R');

export const parameterStatus = (name: string, value: string): Buffer => new Writer().cstring(name).cstring(value).finish('S');

export const backendKeyData = (processId: number, secretKey: number): Buffer =>
  new Writer(16).int32(processId).int32(secretKey).finish('K');

export const readyForQuery = (status: ReadyStatus): Buffer => new Writer(8).int8(status.charCodeAt(0)).finish('Z');

export function negotiateProtocolVersion(newestMinor: number, unrecognized: readonly string[]): Buffer {
  const w = new Writer().int32((3 << 16) | newestMinor).int32(unrecognized.length);
  for (const o of unrecognized) w.cstring(o);
  return w.finish('v');
}

/** pg_type.typlen of the types ariesdb produces; -1 (variable length) for the rest. */
function typeLength(oid: number): number {
  switch (oid) {
    case 16: return 1; // bool
    case 21: return 2; // int2
    case 23: case 700: case 1082: return 4; // int4, float4, date
    case 20: case 701: case 1114: case 1184: return 8; // int8, float8, timestamp, timestamptz
    case 1186: return 16; // interval
    case 2278: return 4; // void
    default: return -1;
  }
}

function rowDescriptionBody(w: Writer, fields: readonly Field[], formats: readonly FormatCode[]): Writer {
  w.int16(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    w.cstring(f.name).int32(0).int16(0).int32(f.typeOid).int16(typeLength(f.typeOid)).int32(f.typmod).int16(formats[i] ?? 0);
  }
  return w;
}

export const rowDescription = (fields: readonly Field[], formats: readonly FormatCode[]): Buffer =>
  rowDescriptionBody(new Writer(32 + fields.length * 32), fields, formats).finish('T');

export function parameterDescription(typeOids: readonly number[]): Buffer {
  const w = new Writer(8 + typeOids.length * 4).int16(typeOids.length);
  for (const oid of typeOids) w.int32(oid | 0);
  return w.finish('t');
}

export const commandComplete = (tag: string): Buffer => new Writer().cstring(tag).finish('C');

// The messages of every statement's response, appended straight to the
// connection's output (output.ts) rather than built apart and copied.

export function putRowDescription(w: Writer, fields: readonly Field[], formats: readonly FormatCode[]): void {
  rowDescriptionBody(w.begin('T'), fields, formats).end();
}

/** A DataRow of values already in text format (null: NULL). */
export function putTextRow(w: Writer, values: readonly (string | null)[]): void {
  w.begin('D').int16(values.length);
  for (let i = 0; i < values.length; i++) w.textField(values[i]!);
  w.end();
}

export function putDataRow(w: Writer, values: readonly (Uint8Array | null)[]): void {
  w.begin('D').int16(values.length);
  for (let i = 0; i < values.length; i++) w.field(values[i]!);
  w.end();
}

export const putCommandComplete = (w: Writer, tag: string): void => w.begin('C').cstring(tag).end();
export const putReadyForQuery = (w: Writer, status: ReadyStatus): void => w.begin('Z').int8(status.charCodeAt(0)).end();
// Messages without a body are the same bytes every time; they are only ever copied out.
const EMPTY_QUERY = empty('I'), PARSE_COMPLETE = empty('1'), BIND_COMPLETE = empty('2'), CLOSE_COMPLETE = empty('3'),
  NO_DATA = empty('n'), PORTAL_SUSPENDED = empty('s');
export const emptyQueryResponse = (): Buffer => EMPTY_QUERY;
export const parseComplete = (): Buffer => PARSE_COMPLETE;
export const bindComplete = (): Buffer => BIND_COMPLETE;
export const closeComplete = (): Buffer => CLOSE_COMPLETE;
export const noData = (): Buffer => NO_DATA;
export const portalSuspended = (): Buffer => PORTAL_SUSPENDED;

function copyResponse(type: string, format: FormatCode, columns: number): Buffer {
  const w = new Writer().int8(format).int16(columns);
  for (let i = 0; i < columns; i++) w.int16(format);
  return w.finish(type);
}
export const copyInResponse = (format: FormatCode, columns: number): Buffer => copyResponse('G', format, columns);
export const copyOutResponse = (format: FormatCode, columns: number): Buffer => copyResponse('H', format, columns);
export const copyData = (data: Uint8Array): Buffer => new Writer(data.length + 8).bytes(data).finish('d');
const COPY_DONE = empty('c');
export const copyDone = (): Buffer => COPY_DONE;

/**
 * ErrorResponse ('E') or NoticeResponse ('N') from a DbError: fields S and V
 * (severity), C (SQLSTATE), M, then D, H, P, W, t, c, n when present.
 */
function errorFields(type: 'E' | 'N', e: ErrorWithContext, severity: string): Buffer {
  const w = new Writer();
  const put = (code: string, v: string | number | undefined): void => {
    if (v !== undefined && v !== '') w.int8(code.charCodeAt(0)).cstring(String(v));
  };
  put('S', severity);
  put('V', severity);
  put('C', e.code);
  put('M', e.message);
  put('D', e.detail);
  put('H', e.hint);
  put('P', e.position);
  put('W', e.where);
  put('t', e.table);
  put('c', e.column);
  put('n', e.constraint);
  return w.int8(0).finish(type);
}

export const errorResponse = (e: ErrorWithContext, severity: string = e.severity): Buffer => errorFields('E', e, severity);
export const noticeResponse = (e: ErrorWithContext): Buffer => errorFields('N', e, e.severity);
