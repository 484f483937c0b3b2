import { expect, it } from 'vitest';
import { crc32c as native } from '@node-rs/crc32';
import { crc32c } from '../../src/storage/crc.ts';
import { rng } from '../../src/util/random.ts';

it('gives the native CRC32C for every length, short (table) and long (native), chained or not', () => {
  const next = rng(7);
  for (let len = 0; len <= 400; len++) {
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(next() * 256);
    const init = Math.floor(next() * 2 ** 32);
    expect(crc32c(b)).toBe(native(b) >>> 0);
    expect(crc32c(b, init)).toBe(native(b, init) >>> 0);
    expect(crc32c(new Uint8Array(b))).toBe(native(b) >>> 0);
  }
  // The check value of the CRC-32C catalogue: "123456789".
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
});
