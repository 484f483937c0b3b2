import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';

const BIN = new URL('../../bin/ariesdb', import.meta.url).pathname;
let root: string;

beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'ariesdb-serve-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

interface Running { child: ChildProcess; port: number; out: () => string; exited: Promise<number | null> }

/** Starts `ariesdb serve` on a free port and waits for its "listening" line. */
async function serve(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) return { child, port: Number(m[1]), out: () => out, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ariesdb serve', () => {
  it('creates the data directory, serves, and on SIGTERM rolls back, checkpoints and exits 0', async () => {
    const dir = join(root, 'new', 'data');
    const s = await serve(['--data', dir]);
    expect(s.out()).toContain(`connect with: psql -h 127.0.0.1 -p ${s.port}`);
    const c = new pg.Client({ host: '127.0.0.1', port: s.port, user: 'u' });
    c.on('error', () => {});
    await c.connect();
    await c.query('CREATE TABLE t (a int)');
    await c.query('INSERT INTO t VALUES (1)');
    await c.query('BEGIN');
    await c.query('INSERT INTO t VALUES (2)');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.out()).toContain('shut down cleanly');
    await c.end().catch(() => {});

    const again = await serve(['--data', dir, '--set', 'max_connections=1']);
    const d = new pg.Client({ host: '127.0.0.1', port: again.port, user: 'u' });
    await d.connect();
    expect((await d.query('SELECT a FROM t ORDER BY a')).rows).toEqual([{ a: 1 }]);
    const e = new pg.Client({ host: '127.0.0.1', port: again.port, user: 'u' });
    await expect(e.connect()).rejects.toMatchObject({ code: '53300' });
    await d.end();
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('takes a password file and refuses bad usage with status 2', async () => {
    const file = join(root, 'pw');
    await writeFile(file, 'alice:pw1\n');
    const s = await serve(['--data', join(root, 'pwdata'), '--password-file', file]);
    const ok = new pg.Client({ host: '127.0.0.1', port: s.port, user: 'alice', password: 'pw1' });
    await ok.connect();
    await ok.end();
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const bad = spawn(process.execPath, [BIN, 'serve', '--port', 'x'], { stdio: 'ignore' });
    expect(await new Promise((r) => bad.on('exit', r))).toBe(2);
  });
});
