import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index.ts';

/** A real full disk: a 2 MB tmpfs, where the machine allows mounting one (root with CAP_SYS_ADMIN). */
function mountTmpfs(): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  return null;
}

const mountPoint = mountTmpfs();
if (!mountPoint) console.log('tmpfs full-disk test skipped: this machine does not let the tests mount a tmpfs');

describe.skipIf(!mountPoint)('a real full disk (2 MB tmpfs)', () => {
  it('fails statements with 53100, keeps committed data, and goes on once space is freed', async () => {
    const dir = path.join(mountPoint!, 'db');
    const settings = { wal_segment_size: '64kB', shared_buffers: '16' };
    try {
      const e = await Engine.open(dir, { settings });
      const t = e.begin();
      const heap = e.createHeap(t);
      e.insert(t, heap, Buffer.from('committed'));
      await e.commit(t);
      // Fill what is left of the disk.
      const filler = path.join(mountPoint!, 'filler');
      const fd = fs.openSync(filler, 'w');
      const chunk = Buffer.alloc(16 * 1024, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
      const t2 = e.begin();
      let failure: unknown = null;
      for (let i = 0; i < 10_000 && !failure; i++) {
        try {
          e.insert(t2, heap, Buffer.from(`row ${i} ${'x'.repeat(400)}`));
        } catch (err) {
          failure = err;
        }
      }
      expect(failure).toMatchObject({ code: '53100' });
      e.rollback(t2);
      fs.rmSync(filler);
      const t3 = e.begin();
      for (let i = 0; i < 50; i++) e.insert(t3, heap, Buffer.from(`after ${i}`));
      await e.commit(t3);
      await e.close();
      const again = await Engine.open(dir, { settings });
      const r = again.begin();
      const rows = [...again.scan(r, heap)].map(([, b]) => Buffer.from(b).toString());
      again.rollback(r);
      expect(rows.length).toBe(51);
      expect(rows).toContain('committed');
      await again.close();
    } finally {
      spawnSync('umount', [mountPoint!]);
      fs.rmSync(mountPoint!, { recursive: true, force: true });
    }
  });
});
