/**
 * Where a select-only query's server CPU goes, under the real pgbench -S:
 *
 *   canned   a minimal protocol loop in Node that answers every query with a
 *            fixed row: the floor of Node, the kernel's loopback and the
 *            wake-ups, which no database work can go below;
 *   engine   the same minimal loop, each query run by ariesdb's engine
 *            (session.query) and its rows sent back: canned + the engine;
 *   server   ariesdb's own server (src/server) over the same database:
 *            engine + the protocol layer (parsing, portals, the writer).
 *
 *   npm run bench:floor [-- --scale 1 --seconds 8 --rounds 2 --clients 8]
 *
 * All three run in this process, over one database loaded with pgbench -i,
 * in turn (canned, engine, server, canned, …); each figure is the median
 * of the rounds: TPS and this process's CPU (user + system) per query. The
 * host's noise moves all three together; their differences are the point.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { Database } from '../src/sql/database.ts';
import type { Session } from '../src/sql/session.ts';
import { Server } from '../src/server/server.ts';
import { median, makeTempDir, num, printTable, removeTempDir } from './lib/measure.ts';
import { initPgbench, runPgbench } from './lib/pgbench-client.ts';

const { values: a } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '8' },
  },
});
const scale = Number(a.scale), seconds = Number(a.seconds), rounds = Number(a.rounds), clients = Number(a.clients);

// ---- a minimal PostgreSQL protocol loop: startup, Query, Terminate ----

function message(type: string, body: Buffer): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b[0] = type.charCodeAt(0);
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}
const cstr = (s: string): Buffer => Buffer.from(s + '\0');
const int32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const int16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const READY = message('Z', Buffer.from('I'));

/** RowDescription (all text), the rows, CommandComplete and ReadyForQuery. */
function result(names: readonly string[], rows: readonly (readonly unknown[])[], tag: string): Buffer {
  const desc = message('T', Buffer.concat([int16(names.length), ...names.map((n) => Buffer.concat([cstr(n), int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)]))]));
  const data = rows.map((r) => message('D', Buffer.concat([int16(r.length), ...r.map((v) => {
    if (v === null) return int32(-1);
    const t = Buffer.from(String(v));
    return Buffer.concat([int32(t.length), t]);
  })])));
  return Buffer.concat([...(names.length ? [desc] : []), ...data, message('C', cstr(tag)), READY]);
}

/** pgbench's own start-up questions get fixed answers; `run` answers the rest (null: the canned row). */
function minimalServer(run: ((s: Session, sql: string) => Promise<Buffer>) | null, db: Database): Promise<net.Server> {
  const canned = result(['abalance'], [[0]], 'SELECT 1');
  const branches = result(['count'], [[scale]], 'SELECT 1');
  const partitions = result(['n', 'partstrat', 'count'], [[1, null, 0]], 'SELECT 1');
  const srv = net.createServer((sock) => {
    sock.setNoDelay(true);
    const session = db.session();
    let buf: Buffer = Buffer.alloc(0), started = false, chain = Promise.resolve();
    const out: Buffer[] = [];
    let scheduled = false;
    const send = (b: Buffer): void => {
      out.push(b);
      if (!scheduled) { scheduled = true; setImmediate(() => { scheduled = false; sock.write(Buffer.concat(out.splice(0))); }); }
    };
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        if (!started) {
          if (buf.length < 8 || buf.length < buf.readInt32BE(0)) return;
          const len = buf.readInt32BE(0), code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === 80877103) { sock.write('N'); continue; } // SSLRequest
          started = true;
          sock.write(Buffer.concat([message('R', int32(0)), message('S', Buffer.concat([cstr('server_version'), cstr('15.0')])), message('K', Buffer.concat([int32(1), int32(2)])), READY]));
          continue;
        }
        if (buf.length < 5 || buf.length < buf.readInt32BE(1) + 1) return;
        const len = buf.readInt32BE(1), type = String.fromCharCode(buf[0]!);
        const sql = buf.toString('utf8', 5, len);
        buf = buf.subarray(len + 1);
        if (type === 'X') { sock.end(); return; }
        if (type !== 'Q') continue;
        const q = sql.toLowerCase();
        if (q.includes('partstrat')) send(partitions);
        else if (q.includes('from pgbench_branches')) send(branches);
        else if (!run) send(canned);
        else {
          // pgbench's VACUUM and TRUNCATE before a run are the server's statements, not the engine's: an error is fine, then ReadyForQuery.
          const failed = (e: unknown): void => send(Buffer.concat([message('E', Buffer.concat([cstr('SERROR'), cstr('C0A000'), cstr(`M${String((e as Error).message)}`), Buffer.from([0])])), READY]));
          chain = chain.then(async () => send(await run(session, sql.slice(0, -1)))).catch(failed);
        }
      }
    });
    sock.on('close', () => { session.close().catch(() => {}); });
    sock.on('error', () => {});
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;

const dir = makeTempDir('ariesdb-floor-');
const db = await Database.open(`${dir}/data`, { settings: { synchronous_commit: 'off' } });
try {
  const server = await Server.listen(db, { port: 0 });
  process.stderr.write(`loading pgbench -i -s ${scale} ...\n`);
  await initPgbench(server.port, scale, () => {});
  const canned = await minimalServer(null, db);
  const engine = await minimalServer(async (s, sql) => {
    const r = await s.query(sql);
    return result(r.fields.map((f) => f.name), r.rows, r.tag);
  }, db);
  const systems = [
    { name: 'canned', port: portOf(canned), what: 'minimal protocol loop, fixed answers (the floor)' },
    { name: 'engine', port: portOf(engine), what: 'minimal protocol loop + session.query' },
    { name: 'server', port: server.port, what: "ariesdb's server (src/server)" },
  ];
  const runs = new Map<string, { tps: number; cpu: number }[]>(systems.map((s) => [s.name, []]));
  // Warm up every path (JIT, buffer pool) before the measured rounds.
  for (const s of systems) await runPgbench({ port: s.port, clients, threads: 2, seconds: 2, mode: 'simple', selectOnly: true, synchronousCommit: 'off' });
  for (let r = 0; r < rounds; r++) {
    for (const s of systems) {
      const c0 = process.cpuUsage();
      const res = await runPgbench({ port: s.port, clients, threads: 2, seconds, mode: 'simple', selectOnly: true, synchronousCommit: 'off' });
      const c = process.cpuUsage(c0);
      if (res.error) throw new Error(`${s.name}: ${res.error}`);
      runs.get(s.name)!.push({ tps: res.tps, cpu: (c.user + c.system) / res.processed });
      process.stderr.write(`round ${r + 1} ${s.name}: ${num(res.tps)} TPS, ${num((c.user + c.system) / res.processed, 1)} µs CPU per query\n`);
    }
  }
  console.log(`\n# pgbench -S -c ${clients} -j 2, scale ${scale}, ${seconds} s runs, ${rounds} round(s); medians`);
  const rows = systems.map((s) => {
    const xs = runs.get(s.name)!;
    return [s.name, s.what, num(median(xs.map((x) => x.tps))), num(median(xs.map((x) => x.cpu)), 1)];
  });
  printTable(['path', 'what runs', 'TPS', 'server CPU µs/query'], rows);
  await new Promise((res) => canned.close(res));
  await new Promise((res) => engine.close(res));
  await server.close();
} finally {
  await db.close();
  removeTempDir(dir);
}
