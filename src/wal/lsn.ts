/**
 * LSN: a record's byte position in the WAL stream, as a JS number (exact up
 * to 2^53 bytes, 8 PiB of log). 0 means "none" (no previous record).
 */
export type Lsn = number;

export const INVALID_LSN: Lsn = 0;

/** PostgreSQL's notation: high and low 32 bits in hex, e.g. 0/16B3748. */
export function formatLsn(lsn: Lsn): string {
  const hi = Math.floor(lsn / 0x1_0000_0000);
  const lo = lsn % 0x1_0000_0000;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

export function parseLsn(text: string): Lsn {
  const m = /^([0-9a-fA-F]+)\/([0-9a-fA-F]+)$/.exec(text.trim());
  if (!m) throw new Error(`invalid LSN "${text}"`);
  return Number.parseInt(m[1]!, 16) * 0x1_0000_0000 + Number.parseInt(m[2]!, 16);
}
