import { describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import { FrontendParser } from '../../src/server/parser.ts';
import { ProtocolError } from '../../src/server/errors.ts';
import type { FrontendMessage, StartupPacket } from '../../src/server/messages.ts';
import * as S from '../../src/server/serializer.ts';
import { DbError } from '../../src/errors/index.ts';
import { Writer } from '../../src/server/writer.ts';

/** One of every frontend message, as node-postgres's serializer writes them. */
const stream: Buffer[] = [
  serialize.query('select 1; select \'ü\''),
  serialize.parse({ name: 's1', text: 'select $1::int', types: [23] }),
  serialize.bind({ statement: 's1', portal: 'p1', values: ['42', null] }),
  serialize.describe({ type: 'S', name: 's1' }),
  serialize.describe({ type: 'P', name: 'p1' }),
  serialize.execute({ portal: 'p1', rows: 5 }),
  serialize.close({ type: 'S', name: 's1' }),
  serialize.flush(),
  serialize.sync(),
  serialize.copyData(Buffer.from('1\tx\n')),
  serialize.copyDone(),
  serialize.copyFail('nope'),
  serialize.password('secret'),
  serialize.end(),
];
const all = Buffer.concat(stream);

function drain(p: FrontendParser): FrontendMessage[] {
  const out: FrontendMessage[] = [];
  for (let m = p.next(); m; m = p.next()) out.push(m);
  return out;
}

const expected: FrontendMessage[] = [
  { kind: 'query', sql: "select 1; select 'ü'" },
  { kind: 'parse', name: 's1', sql: 'select $1::int', paramTypes: [23] },
  { kind: 'bind', portal: 'p1', statement: 's1', paramFormats: [0, 0], params: [Buffer.from('42'), null], resultFormats: [0] },
  { kind: 'describe', target: 'S', name: 's1' },
  { kind: 'describe', target: 'P', name: 'p1' },
  { kind: 'execute', portal: 'p1', maxRows: 5 },
  { kind: 'close', target: 'S', name: 's1' },
  { kind: 'flush' },
  { kind: 'sync' },
  { kind: 'copy-data', data: Buffer.from('1\tx\n') },
  { kind: 'copy-done' },
  { kind: 'copy-fail', message: 'nope' },
  { kind: 'password', body: Buffer.from('secret\0') },
  { kind: 'terminate' },
];

describe('FrontendParser', () => {
  it('decodes every message kind from one joined buffer', () => {
    const p = new FrontendParser();
    p.push(all);
    expect(drain(p)).toEqual(expected);
    expect(p.buffered).toBe(0);
  });

  it('gives the same messages when the stream is split at every byte boundary', () => {
    for (let cut = 1; cut < all.length; cut++) {
      const p = new FrontendParser();
      p.push(all.subarray(0, cut));
      const got = drain(p);
      p.push(all.subarray(cut));
      got.push(...drain(p));
      expect(got).toEqual(expected);
    }
  });

  it('gives the same messages when fed one byte at a time', () => {
    const p = new FrontendParser();
    const got: FrontendMessage[] = [];
    for (let i = 0; i < all.length; i++) {
      p.push(all.subarray(i, i + 1));
      got.push(...drain(p));
    }
    expect(got).toEqual(expected);
  });

  it('reads startup packets, SSLRequest, GSSENCRequest and CancelRequest split anywhere', () => {
    const gss = Buffer.alloc(8);
    gss.writeInt32BE(8, 0);
    gss.writeInt32BE(80877104, 4);
    const packets = Buffer.concat([serialize.requestSsl(), gss, serialize.startup({ user: 'u', database: 'd', options: '-c x=1' }), serialize.cancel(7, -9)]);
    const want: StartupPacket[] = [
      { kind: 'ssl-request' },
      { kind: 'gssenc-request' },
      { kind: 'startup', major: 3, minor: 0, params: new Map([['user', 'u'], ['database', 'd'], ['options', '-c x=1'], ['client_encoding', 'UTF8']]) },
      { kind: 'cancel-request', processId: 7, secretKey: -9 },
    ];
    for (let cut = 0; cut <= packets.length; cut++) {
      const p = new FrontendParser();
      const got: StartupPacket[] = [];
      p.push(packets.subarray(0, cut));
      for (let s = p.nextStartup(); s; s = p.nextStartup()) got.push(s);
      p.push(packets.subarray(cut));
      for (let s = p.nextStartup(); s; s = p.nextStartup()) got.push(s);
      expect(got).toEqual(want);
    }
  });

  it('refuses an unknown message type as soon as the type byte arrives', () => {
    const p = new FrontendParser();
    p.push(Buffer.from([0x7a, 0, 0, 0, 4]));
    expect(() => p.next()).toThrow(ProtocolError);
    expect(() => p.next()).toThrow(/invalid frontend message type 122/);
  });

  it('refuses a length below 4 and a message over the limit before its body arrives', () => {
    const short = new FrontendParser();
    short.push(Buffer.from([0x51, 0, 0, 0, 3]));
    expect(() => short.next()).toThrow(/invalid message length/);
    const big = new FrontendParser(1000);
    big.push(Buffer.from([0x51, 0, 0, 0x10, 0]));
    expect(() => big.next()).toThrow(/exceeds the limit of 1000 bytes/);
    const huge = new FrontendParser();
    huge.push(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]));
    expect(() => huge.next()).toThrow(ProtocolError);
  });

  it('refuses bad startup packets', () => {
    const tooLong = new FrontendParser();
    tooLong.push(Buffer.from([0, 1, 0, 0, 0, 3, 0, 0]));
    expect(() => tooLong.nextStartup()).toThrow(/invalid length of startup packet/);
    const tooShort = new FrontendParser();
    tooShort.push(Buffer.from([0, 0, 0, 4]));
    expect(() => tooShort.nextStartup()).toThrow(/invalid length of startup packet/);
    const unterminated = new FrontendParser();
    unterminated.push(Buffer.from([0, 0, 0, 12, 0, 3, 0, 0, 0x75, 0x73, 0x65, 0x72]));
    expect(() => unterminated.nextStartup()).toThrow(ProtocolError);
  });

  it('refuses a body whose fields run past its end', () => {
    const p = new FrontendParser();
    // Bind claiming one parameter of 100 bytes in a 20-byte body.
    const body = Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 100, 1, 2]);
    const head = Buffer.from([0x42, 0, 0, 0, 0]);
    head.writeInt32BE(body.length + 4, 1);
    p.push(Buffer.concat([head, body]));
    expect(() => p.next()).toThrow(/insufficient data left in message/);
  });
});

describe('serializer', () => {
  it('writes messages node-postgres reads back, split at every byte boundary', () => {
    const err = new DbError('undefined_column', 'column "x" does not exist', { position: 8, hint: 'Perhaps…', detail: 'd' });
    // The hot messages go straight into the connection's output, a Writer that starts small here so it must grow mid-message.
    const w = new Writer(16, false);
    S.putRowDescription(w, [{ name: 'a', typeOid: 23, typmod: -1 }, { name: 'ü', typeOid: 25, typmod: -1 }], [0, 1]);
    S.putDataRow(w, [Buffer.from('1'), null]);
    S.putTextRow(w, ['ä€😀'.repeat(20), null, '']);
    S.putCommandComplete(w, 'SELECT 1');
    const out = Buffer.concat([
      S.authenticationOk(),
      S.parameterStatus('server_version', '15.0 (ariesdb)'),
      S.backendKeyData(12, 34),
      w.take(),
      S.errorResponse(err),
      S.noticeResponse(new DbError('warning', 'careful', { severity: 'WARNING' })),
      S.parameterDescription([23, 25]),
      S.copyInResponse(0, 2),
      S.emptyQueryResponse(),
      S.portalSuspended(),
      S.readyForQuery('T'),
    ]);
    const reference: unknown[] = [];
    new Parser().parse(out, (m) => reference.push(m));
    expect(reference.map((m) => (m as { name: string }).name)).toEqual([
      'authenticationOk', 'parameterStatus', 'backendKeyData', 'rowDescription', 'dataRow', 'dataRow', 'commandComplete',
      'error', 'notice', 'parameterDescription', 'copyInResponse', 'emptyQuery', 'portalSuspended', 'readyForQuery',
    ]);
    expect((reference[4] as { fields: unknown[] }).fields).toEqual(['1', null]);
    expect((reference[5] as { fields: unknown[] }).fields).toEqual(['ä€😀'.repeat(20), null, '']);
    expect((reference[6] as { text: string }).text).toBe('SELECT 1');
    const e = reference[7] as Record<string, unknown>;
    expect([e.severity, e.code, e.message, e.position, e.hint, e.detail]).toEqual(['ERROR', '42703', 'column "x" does not exist', '8', 'Perhaps…', 'd']);
    expect((reference[8] as Record<string, unknown>).severity).toBe('WARNING');
    expect((reference[3] as { fields: { name: string; format: string }[] }).fields.map((f) => [f.name, f.format])).toEqual([['a', 'text'], ['ü', 'binary']]);
    for (let cut = 1; cut < out.length; cut++) {
      const got: unknown[] = [];
      const p = new Parser();
      // Copies: pg-protocol's parser may reuse (and overwrite) a buffer it was given.
      p.parse(Buffer.from(out.subarray(0, cut)), (m) => got.push(m));
      p.parse(Buffer.from(out.subarray(cut)), (m) => got.push(m));
      expect(got).toEqual(reference);
    }
  });
});
