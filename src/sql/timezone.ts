/**
 * Time zones: the session's TimeZone and AT TIME ZONE.
 *
 * A timestamptz is held as its UTC instant: timestamp text with '+00'
 * (types.ts), whatever the session's zone, so storage, keys and
 * comparisons never depend on it. The zone decides, as in PostgreSQL, how
 * a timestamptz is shown (tstzOut, through formatValue), how text without
 * an offset is read (parseTimestamptz), the conversions to and from date
 * and timestamp, and the calendar arithmetic done in local time (adding
 * days or months, date_trunc, extract, to_char).
 *
 * Z1. The zone in force is this module's `current`, as PostgreSQL's
 *     session_timezone is a backend global. Every entry into a session's
 *     synchronous work sets it (useZone): each statement attempt, Describe,
 *     and the server before it formats a result's rows. Nothing of one
 *     session runs across an await with another's zone, because each
 *     stretch of synchronous work begins by setting its own.
 * Z2. Zones: IANA names through the tz database Intl carries (daylight
 *     saving and historical offsets included); UTC/GMT/Z; an ISO offset
 *     ('+05', '-03:30', SET TIME ZONE -7, INTERVAL '+05:30': east positive);
 *     a POSIX 'NAME±h[:mm]' ('UTC+5' is five hours west, as POSIX and
 *     PostgreSQL read it). A POSIX rule with daylight saving parts is refused.
 * Z3. A local time that a change to summer time skips takes the offset from
 *     before the change; one that the change back repeats, the offset from
 *     after it (PostgreSQL's DetermineTimeZoneOffset).
 * Z4. Work that depends on the zone is never folded into a plan (plans are
 *     shared between sessions): expr.ts converts such a constant again when
 *     the zone in force is another than the one it was converted under. A
 *     stored CHECK, DEFAULT or index predicate is the exception: its
 *     timestamptz literals are fixed in the zone of the DDL (expr.ts
 *     fixZoneLiterals), as PostgreSQL folds them.
 */
import { DbError } from '../errors/index.ts';
import { formatDate, formatTimestamp, parseDateTime, setLocalToday, timestampAddInterval, timestampParts, type Interval } from './datetime.ts';
import { errorWithCode } from './sqlerror.ts';

const US_PER_DAY = 86_400_000_000;

export interface Zone {
  /** As SHOW prints it. */
  readonly name: string;
  /** Seconds east of UTC when the offset never changes; null for an IANA zone. */
  readonly fixedSec: number | null;
  readonly intl: Intl.DateTimeFormat | null;
}

export const UTC_ZONE: Zone = { name: 'UTC', fixedSec: 0, intl: null };

let current: Zone = UTC_ZONE;

/** Z1: the zone of the session about to run. */
export function useZone(z: Zone): void {
  current = z;
}

export function zoneInForce(): Zone {
  return current;
}

/** Set while an index's keys are compiled: what they are, for the error (42P17). */
let zoneRefusedIn: string | null = null;

/** Compiles with everything that depends on the time zone refused, as PostgreSQL refuses STABLE functions in an index. */
export function compileZoneFree<T>(what: string, f: () => T): T {
  zoneRefusedIn = what;
  try { return f(); } finally { zoneRefusedIn = null; }
}

/** Called at compile time by what depends on the session (the zone: a cast, date_trunc of a timestamptz, …; DateStyle: text read as a date). */
export function dependsOnSession(): void {
  if (zoneRefusedIn !== null) throw new DbError('invalid_object_definition', `functions in ${zoneRefusedIn} must be marked IMMUTABLE`);
}

const zones = new Map<string, Zone>();
let ianaNames: Map<string, string> | null = null;

/** PostgreSQL's spelling of an IANA name typed in any case ('america/new_york' → 'America/New_York'). */
function ianaSpelling(name: string): string {
  if (!ianaNames) {
    ianaNames = new Map();
    for (const n of Intl.supportedValuesOf('timeZone')) ianaNames.set(n.toLowerCase(), n);
  }
  return ianaNames.get(name.toLowerCase()) ?? name;
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** An offset as PostgreSQL prints it after a time: +05, -03:30, -04:56:02. */
export function formatOffset(sec: number, colon = true): string {
  const a = Math.abs(sec), h = Math.floor(a / 3600), m = Math.floor(a / 60) % 60, s = a % 60;
  const sep = colon ? ':' : '';
  return (sec < 0 ? '-' : '+') + p2(h) + (m || s ? sep + p2(m) : '') + (s ? sep + p2(s) : '');
}

function fixedZone(name: string, sec: number): Zone {
  if (Math.abs(sec) > 168 * 3600) throw errorWithCode('22023', `invalid value for parameter "TimeZone": "${name}"`);
  return { name, fixedSec: sec, intl: null };
}

/** An ISO offset in seconds east (a SET TIME ZONE number, an INTERVAL's hours); the name SHOW gives it, as PostgreSQL: <+05:30>-05:30. */
export function offsetZone(sec: number): Zone {
  return fixedZone(`<${formatOffset(sec)}>${formatOffset(-sec)}`, sec);
}

/**
 * A zone by name (Z2), or null when there is none; cached. A bare number
 * ('+05') is an ISO offset for SET TIME ZONE but a POSIX one (hours west)
 * for AT TIME ZONE, as in PostgreSQL.
 */
export function findZone(text: string, posixNumbers = false): Zone | null {
  const key = (posixNumbers ? 'posix:' : '') + text.trim().toLowerCase();
  const hit = zones.get(key);
  if (hit) return hit;
  let z: Zone | null = null;
  const t = text.trim();
  let m: RegExpExecArray | null;
  const lower = t.toLowerCase();
  if (/^(utc|gmt|z|zulu|etc\/utc|etc\/gmt|universal|uct)$/.test(lower)) {
    z = { name: lower === 'z' || lower === 'zulu' ? 'UTC' : lower === 'etc/utc' ? 'Etc/UTC' : lower === 'etc/gmt' ? 'Etc/GMT' : lower.toUpperCase(), fixedSec: 0, intl: null };
  } else if (/^[+-]?\d+(\.\d+)?$/.test(t)) {
    // A plain number: hours east for SET TIME ZONE (5.5 too), hours west (POSIX) for AT TIME ZONE.
    const sec = Math.round(Number(t) * 3600);
    z = posixNumbers ? fixedZone(t, -sec) : offsetZone(sec);
  } else if ((m = /^(<[^>]*>|[a-z]{3,}|)([+-]?)(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?$/i.exec(t)) && !/^etc$/i.test(m[1]!)) {
    // POSIX: the offset is hours west of UTC ('UTC+5', '+05:30', and '<+05:30>-05:30', the name SHOW gives an offset);
    // a name with daylight saving parts fails here and goes to Intl.
    z = fixedZone(t, (m[2] === '-' ? 1 : -1) * (Number(m[3]) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0)));
  } else if (/^[a-z][a-z0-9_+\-/]*$/i.test(t)) {
    try {
      const intl = new Intl.DateTimeFormat('en-US', {
        timeZone: t, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
      z = { name: ianaSpelling(t), fixedSec: null, intl };
    } catch { z = null; }
  }
  if (z) {
    if (zones.size > 256) zones.clear();
    zones.set(key, z);
  }
  return z;
}

/** A zone for SET TimeZone / AT TIME ZONE: 22023 when unknown. */
export function parseZone(text: string, what = 'parameter'): Zone {
  const z = findZone(text, what !== 'parameter');
  if (z) return z;
  if (what === 'parameter') throw errorWithCode('22023', `invalid value for parameter "TimeZone": "${text}"`);
  throw errorWithCode('22023', `time zone "${text}" not recognized`);
}

// Before 1700 every zone is on its local mean time, which Intl gives for 1700 too (earlier years would need eras);
// Intl's Date ends in 275760, and the zone's present rules hold to there.
const MIN_MS = Date.UTC(1700, 0, 1), MAX_MS = 8.64e15 - 2 * 86_400_000;

/** The zone's offset in seconds east at the UTC instant `ms`. */
function offsetAtMs(z: Zone, ms: number): number {
  if (z.fixedSec !== null) return z.fixedSec;
  const at = Math.floor(Math.min(Math.max(ms, MIN_MS), MAX_MS) / 1000) * 1000;
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const part of z.intl!.formatToParts(at)) {
    switch (part.type) {
      case 'year': y = Number(part.value); break;
      case 'month': mo = Number(part.value); break;
      case 'day': d = Number(part.value); break;
      case 'hour': h = Number(part.value); break;
      case 'minute': mi = Number(part.value); break;
      case 'second': s = Number(part.value); break;
      default:
    }
  }
  return (Date.UTC(y, mo - 1, d, h, mi, s) - at) / 1000;
}

const msOf = (days: number, usec: number): number => days * 86_400_000 + Math.floor(usec / 1000);

// 'today', 'tomorrow' and 'yesterday' are the session's days.
setLocalToday(() => { const ms = Date.now(); const d = Math.floor(ms / 86_400_000); return toLocal(d, (ms - d * 86_400_000) * 1000).days; });

/** Adds `sec` seconds (and `extraUsec`) to days + usec, keeping usec within the day (days * µs would lose precision far from 1970). */
function shift(days: number, usec: number, sec: number, extraUsec = 0): { days: number; usec: number } {
  let d = days, u = usec + sec * 1_000_000 + extraUsec;
  const carry = Math.floor(u / US_PER_DAY);
  d += carry; u -= carry * US_PER_DAY;
  return { days: d, usec: u };
}

/** A UTC instant → the wall-clock time in `z` and the offset then (seconds east). */
export function toLocal(days: number, usec: number, z: Zone = current): { days: number; usec: number; offset: number } {
  const offset = offsetAtMs(z, msOf(days, usec));
  return offset === 0 ? { days, usec, offset } : { ...shift(days, usec, offset), offset };
}

/** A wall-clock time in `z` → the UTC instant (Z3 for times a change skips or repeats). */
export function fromLocal(days: number, usec: number, z: Zone = current): { days: number; usec: number } {
  if (z.fixedSec !== null) return z.fixedSec === 0 ? { days, usec } : shift(days, usec, -z.fixedSec);
  const wall = msOf(days, usec);
  const before = offsetAtMs(z, wall - 86_400_000), after = offsetAtMs(z, wall + 86_400_000);
  let off = before;
  if (before !== after) {
    const okAfter = offsetAtMs(z, wall - after * 1000) === after;
    off = okAfter ? after : before;
  } else if (offsetAtMs(z, wall - before * 1000) !== before) {
    off = offsetAtMs(z, wall - before * 1000); // a change within the day that the two probes both missed
  }
  return shift(days, usec, -off);
}

/** A UTC instant as our timestamptz text; usec may run past the day either way. */
export function instantText(days: number, usec: number): string {
  const p = shift(days, usec, 0);
  return formatTimestamp(p.days, p.usec) + '+00';
}

const utcText = (p: { days: number; usec: number }): string => instantText(p.days, p.usec);

/** A timestamptz as the session shows it: local time, then its offset, then BC. */
export function tstzOut(v: string): string {
  const z = current;
  if (z.fixedSec === 0) return v.endsWith(' BC+00') ? v.slice(0, -6) + '+00 BC' : v;
  const local = toLocal(...partsOf(v), z);
  const text = formatTimestamp(local.days, local.usec);
  const bc = text.endsWith(' BC');
  return (bc ? text.slice(0, -3) : text) + formatOffset(local.offset) + (bc ? ' BC' : '');
}

const partsOf = (v: string): [number, number] => { const p = timestampParts(v); return [p.days, p.usec]; };

/** timestamptz input: an offset or zone name in the text decides, else the session's zone. */
export function parseTimestamptz(text: string): string {
  const { days, usec, offsetSec, zoneName } = parseDateTime(text, 'timestamp');
  if (offsetSec !== undefined) return utcText(offsetSec === 0 ? { days, usec } : shift(days, usec, -offsetSec));
  if (zoneName !== undefined) {
    const z = findZone(zoneName);
    if (!z) throw new DbError('invalid_parameter_value', `time zone "${zoneName}" not recognized`);
    return utcText(fromLocal(days, usec, z));
  }
  return utcText(fromLocal(days, usec));
}

/** Whether a literal read as `to` is a timestamptz whose text carries its own offset (its value does not depend on the zone). */
export function hasOwnOffset(text: string, to: { oid: number }): boolean {
  if (to.oid !== 1184) return false;
  try { return parseDateTime(text, 'timestamp').offsetSec !== undefined; } catch { return false; }
}

/** timestamp (local) → timestamptz, in the session's zone. */
export function timestampToTstz(v: string): string {
  return utcText(fromLocal(...partsOf(v)));
}

/** date → timestamptz: local midnight. */
export function dateToTstz(days: number): string {
  return utcText(fromLocal(days, 0));
}

/** timestamptz → the session's local timestamp. */
export function tstzToTimestamp(v: string): string {
  if (current.fixedSec === 0) return v.slice(0, -3);
  const l = toLocal(...partsOf(v));
  return formatTimestamp(l.days, l.usec);
}

export function tstzToDate(v: string): string {
  return formatDate(toLocal(...partsOf(v)).days);
}

/** timestamptz ± interval: months and days on the local calendar, then the time part as elapsed time (timestamptz_pl_interval). */
export function tstzAddInterval(v: string, iv: Interval, sign: 1 | -1): string {
  let [days, usec] = partsOf(v);
  // Months, then days, each on the local calendar with the offset found again after it (timestamptz_pl_interval).
  for (const step of [{ months: iv.months, days: 0, usec: 0 }, { months: 0, days: iv.days, usec: 0 }]) {
    if (step.months === 0 && step.days === 0) continue;
    const l = toLocal(days, usec);
    const moved = timestampParts(timestampAddInterval(formatTimestamp(l.days, l.usec), step, sign));
    ({ days, usec } = fromLocal(moved.days, moved.usec));
  }
  return utcText(shift(days, usec, 0, sign * iv.usec));
}

/** A timestamptz as the wall-clock timestamp in `zone` (AT TIME ZONE). */
export function instantToZone(days: number, usec: number, zone: string): string {
  const l = toLocal(days, usec, parseZone(zone, 'at'));
  return formatTimestamp(l.days, l.usec);
}

/** A wall-clock timestamp in `zone` → the instant (AT TIME ZONE). */
export function zoneToInstant(days: number, usec: number, zone: string): string {
  return utcText(fromLocal(days, usec, parseZone(zone, 'at')));
}

// Intl names a zone's abbreviation only in some locales (BST in en-GB, IST in en-IN, JST in ja-JP): the first that has one.
const ABBREVIATION_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN', 'ja-JP', 'en-ZA'];
const abbreviators = new Map<string, Intl.DateTimeFormat[]>();

/** The zone's abbreviation at an instant for to_char's TZ (EDT, CEST); the offset where none is known (as the tz database writes +0530). */
export function zoneAbbreviation(days: number, usec: number, offset: number, z: Zone = current): string {
  if (z.fixedSec !== null) return z.fixedSec === 0 ? 'UTC' : formatOffset(z.fixedSec, false);
  const id = z.intl!.resolvedOptions().timeZone;
  let fs = abbreviators.get(id);
  if (!fs) {
    fs = ABBREVIATION_LOCALES.map((loc) => new Intl.DateTimeFormat(loc, { timeZone: id, timeZoneName: 'short' }));
    if (abbreviators.size > 64) abbreviators.clear();
    abbreviators.set(id, fs);
  }
  const at = Math.min(Math.max(msOf(days, usec), MIN_MS), MAX_MS);
  for (const f of fs) {
    const name = f.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]{2,5}$/.test(name)) return name;
  }
  return formatOffset(offset, false);
}
