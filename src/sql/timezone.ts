/**
 * AT TIME ZONE (PostgreSQL's timezone(zone, value)) for named zones, through
 * the IANA database that Intl carries. The session's own TimeZone is UTC,
 * so a timestamptz is a UTC instant here:
 *   timestamptz AT TIME ZONE z → timestamp: the wall-clock time in z then;
 *   timestamp AT TIME ZONE z → timestamptz: the instant whose wall-clock
 *   time in z that is (a time a DST change skips takes the offset from
 *   before it, one it repeats the offset from after, as PostgreSQL does).
 * Zone names are IANA names and UTC/GMT/Z; PostgreSQL's POSIX-style offsets
 * ('+02' means two hours west) are refused rather than guessed.
 */
import { DbError } from '../errors/index.ts';
import { formatTimestamp } from './datetime.ts';

const US_PER_DAY = 86_400_000_000;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone.toLowerCase());
  if (!f) {
    if (/^[+-]?\d/.test(zone)) throw new DbError('feature_not_supported', `time zone "${zone}" as a numeric offset is not supported; use a zone name`);
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: /^(utc|gmt|z|zulu)$/i.test(zone) ? 'UTC' : zone, hourCycle: 'h23',
        year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch {
      throw new DbError('invalid_parameter_value', `time zone "${zone}" not recognized`);
    }
    if (formats.size > 64) formats.clear();
    formats.set(zone.toLowerCase(), f);
  }
  return f;
}

/** The zone's offset from UTC at the instant `ms`, in ms (east positive). */
function offsetAt(zone: string, ms: number): number {
  const p: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** timestamptz (a UTC instant: days and µs of day) → the wall-clock timestamp in `zone`. */
export function instantToZone(days: number, usec: number, zone: string): string {
  const ms = days * 86_400_000 + Math.floor(usec / 1000);
  const total = days * US_PER_DAY + usec + offsetAt(zone, ms) * 1000;
  const d = Math.floor(total / US_PER_DAY);
  return formatTimestamp(d, total - d * US_PER_DAY);
}

/** A wall-clock timestamp in `zone` → the UTC instant (timestamptz text). */
export function zoneToInstant(days: number, usec: number, zone: string): string {
  const wallMs = days * 86_400_000 + Math.floor(usec / 1000);
  // The offsets in force a day before and a day after; where they differ the wall time may fall in a gap
  // (spring forward: PostgreSQL takes the offset from before) or an overlap (fall back: the one from after).
  const before = offsetAt(zone, wallMs - 86_400_000), after = offsetAt(zone, wallMs + 86_400_000);
  let off = before;
  if (before !== after) {
    const okBefore = offsetAt(zone, wallMs - before) === before, okAfter = offsetAt(zone, wallMs - after) === after;
    off = okAfter ? after : before;
    if (okBefore && !okAfter) off = before;
  }
  const total = days * US_PER_DAY + usec - off * 1000;
  const d = Math.floor(total / US_PER_DAY);
  return formatTimestamp(d, total - d * US_PER_DAY) + '+00';
}
