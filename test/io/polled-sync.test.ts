/** The helper thread's fdatasync (src/io/polled-sync.ts): done, and its errors reported as fdatasyncSync's. */
import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fdatasyncPolled, polledSyncAvailable, startPolledSync } from '../../src/io/polled-sync.ts';
import { nodeFileSystem } from '../../src/io/file.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-polled-'));
  dirs.push(d);
  return path.join(d, 'f');
}

describe.runIf(polledSyncAvailable())('polled fdatasync', () => {
  it('syncs through the helper, without falling back, again and again', () => {
    const h = nodeFileSystem.open(tempFile(), { create: true });
    let fallbacks = 0;
    const fd = (h as unknown as { fd: number }).fd;
    for (let i = 0; i < 200; i++) {
      h.write(Buffer.from(`record ${i}\n`), i * 16);
      fdatasyncPolled(fd, () => { fallbacks++; });
    }
    expect(fallbacks).toBe(0);
    h.syncPolled!();
    h.close();
  });

  it('reports the helper\'s failure with its errno code, as fdatasyncSync would throw it', () => {
    const file = tempFile();
    const fd = 1 << 20; // above any open descriptor (the soft limit is far lower): EBADF
    let plain = false;
    let code: string | undefined;
    try {
      fdatasyncPolled(fd, () => { plain = true; });
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect({ code, plain }).toEqual({ code: 'EBADF', plain: false });
    // The helper serves the next request after a failure.
    const h = nodeFileSystem.open(file, { create: true });
    h.write(Buffer.from('x'), 0);
    h.syncPolled!();
    h.close();
  });

  it('starts an fdatasync and returns at once; while it is under way every other request syncs by itself (P5)', () => {
    const h = nodeFileSystem.open(tempFile(), { create: true });
    const fd = (h as unknown as { fd: number }).fd;
    let plain = 0;
    for (let i = 0; i < 50; i++) {
      h.write(Buffer.from(`record ${i}\n`), i * 16);
      const s = startPolledSync(fd, () => { plain++; });
      expect(s).not.toBeNull();
      // One request at a time, until it is waited for (ended is not enough: its caller has yet to read its
      // result): a second start is refused, a blocking one falls back to the plain call.
      if (i % 2 === 0) while (!s!.done());
      expect(startPolledSync(fd, () => { plain++; })).toBeNull();
      let other = 0;
      fdatasyncPolled(fd, () => { other++; });
      expect(other).toBe(1);
      s!.wait();
      expect(s!.done()).toBe(true);
      s!.wait(); // waiting again is harmless
    }
    expect(plain).toBe(0);
    // Its errors come from wait(), as fdatasyncSync's.
    const bad = startPolledSync(1 << 20, () => { plain++; });
    expect(() => bad!.wait()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    h.syncPolled!();
    h.close();
  });

  it.each(['exit', 'throw', 'boot'])('a helper that dies (%s) is retired: the caller syncs by itself instead of waiting for ever (P4)', (mode) => {
    const register = new URL('../../bin/register.mjs', import.meta.url).pathname;
    const script = new URL('./fixtures/helper-dies.ts', import.meta.url).pathname;
    const out = execFileSync(process.execPath, ['--import', register, script, mode, tempFile()], { encoding: 'utf8', timeout: 30_000 });
    const { ms, fellBack } = JSON.parse(out) as { ms: number; fellBack: number };
    expect(fellBack).toBe(3); // every call, once the helper is known to be gone
    expect(ms).toBeLessThan(10_000);
  });

  it('a helper that dies under a started request answers done() at last, and wait() syncs by itself (P4, P5)', () => {
    const register = new URL('../../bin/register.mjs', import.meta.url).pathname;
    const script = new URL('./fixtures/helper-dies.ts', import.meta.url).pathname;
    const out = execFileSync(process.execPath, ['--import', register, script, 'start', tempFile()], { encoding: 'utf8', timeout: 30_000 });
    const { ms, fellBack } = JSON.parse(out) as { ms: number; fellBack: number };
    expect(fellBack).toBe(1);
    expect(ms).toBeLessThan(10_000);
  });
});
