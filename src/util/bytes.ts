/**
 * Byte-string helpers shared by the B+tree (src/access) and the SQL layer's
 * key encoding (src/sql/keys.ts), which must agree on key order.
 */

/**
 * The smallest byte string above every string that starts with `prefix`
 * (the prefix with its last non-0xff byte raised and the rest cut), or null
 * when there is none (all 0xff, or empty). Always a copy.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  let n = prefix.length;
  while (n > 0 && prefix[n - 1] === 0xff) n--;
  if (n === 0) return null;
  const out = Buffer.from(prefix.subarray(0, n)); // a copy (from Node's pooled slab), even when prefix is a Buffer
  out[n - 1]!++;
  return out;
}

/*
 * Little-endian reads by byte arithmetic: on the page layouts' hot paths
 * (slot arrays, B+tree cells) they measured faster than Buffer's
 * readUInt16LE/readUInt32LE, whose argument checks run on every call.
 */
export const u16le = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
export const u32le = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x100_0000;

/** memcmp of two byte strings (a loop: cheaper than Buffer.compare's native call for the short keys of indexes). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
