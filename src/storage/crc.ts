/** CRC32C (Castagnoli), the checksum of pages, WAL records and the control file. */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC32C of bytes; the native SIMD implementation wants a Buffer view, made without copying. */
export function crc32c(bytes: Uint8Array, initial = 0): number {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return nativeCrc32c(buf, initial) >>> 0;
}
