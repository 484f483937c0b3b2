/** CRC32C (Castagnoli), the checksum of pages, WAL records and the control file. */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** Byte-at-a-time table for the reflected polynomial 0x82F63B78. */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c >>> 0;
}

/**
 * Below this many bytes the table loop in JS beats the native SIMD call,
 * whose fixed cost is about half a microsecond (measured on Node 20); WAL
 * records and the 4-byte pieces of every checksum are mostly that short.
 */
const NATIVE_FROM = 160;

/** CRC32C of bytes, continuing from `initial` (the CRC of what came before). */
export function crc32c(bytes: Uint8Array, initial = 0): number {
  const n = bytes.length;
  if (n < NATIVE_FROM) {
    let c = ~initial;
    for (let i = 0; i < n; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  }
  // The native call wants a Buffer view, made without copying.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return nativeCrc32c(buf, initial) >>> 0;
}
