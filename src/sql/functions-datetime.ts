/**
 * Date and time functions: now() and friends (fixed at the transaction's
 * start, as PostgreSQL's are), current_date, extract/date_part,
 * date_trunc, make_date, age. A timestamptz is taken apart in the
 * session's time zone (timezone.ts), as PostgreSQL's STABLE versions do.
 */
import { DbError } from '../errors/index.ts';
import { castDependsOnZone, castFn } from './casts.ts';
import {
  civilFromDays, dateDays, daysFromCivil, formatDate, formatInterval, formatTimestamp, justifyInterval, msToTimestamp, parseInterval,
  symbolicAge, timestampParts,
} from './datetime.ts';
import { formatDateTime } from './to-char.ts';
import { dateToTstz, fromLocal, instantText, instantToZone, parseZone, toLocal, tstzToDate, tstzToTimestamp, zoneAbbreviation, dependsOnSession, zoneToInstant, type Zone } from './timezone.ts';
import type { Compiled, Fn } from './expr.ts';
import { decFromText, decToText, divScale, decFromInt } from './numeric.ts';
import { DATE, INT4, INTERVAL, NUMERIC, Oid, TEXT, TIMESTAMP, TIMESTAMPTZ, type SqlType } from './types.ts';

const US_PER_DAY = 86_400_000_000;

function as(a: Compiled, to: SqlType): Fn | null {
  if (a.type.oid === Oid.UNKNOWN) return a.retype!(to, 'implicit').fn;
  if (a.type.oid === to.oid) return a.fn;
  const f = castFn(a.type, to, 'implicit');
  if (!f) return null;
  if (castDependsOnZone(a.type, to)) dependsOnSession();
  const g = a.fn;
  return (r, c) => f(g(r, c));
}

/** Parts of a timestamp or date value: [year, month, day, usec of day, day number]. */
function parts(v: string, oid: number): [number, number, number, number, number] {
  const { days, usec } = oid === Oid.DATE ? { days: dateDays(v), usec: 0 } : timestampParts(v);
  const [y, m, d] = civilFromDays(days);
  return [y, m, d, usec, days];
}

/** extract() of a timestamptz: the fields of its local time, the offset's, and the epoch of the instant. */
function extractTstz(field: string, v: string): string {
  const u = timestampParts(v), l = toLocal(u.days, u.usec);
  switch (field) {
    case 'epoch': return extract(field, formatTimestamp(u.days, u.usec), Oid.TIMESTAMP);
    case 'timezone': return String(l.offset);
    case 'timezone_hour': return String(Math.trunc(l.offset / 3600));
    case 'timezone_minute': return String(Math.trunc(l.offset / 60) % 60);
    default: return extract(field, formatTimestamp(l.days, l.usec), Oid.TIMESTAMP);
  }
}

/** date_trunc() of a timestamptz in `zone`: units of a day or more start at local midnight (DST decides the offset again), smaller ones keep the offset. */
function truncateTstz(field: string, v: string, zone?: Zone): string {
  const u = timestampParts(v), l = toLocal(u.days, u.usec, zone);
  const t = timestampParts(truncate(field, formatTimestamp(l.days, l.usec), Oid.TIMESTAMP));
  if (['hour', 'minute', 'second', 'milliseconds', 'microseconds'].includes(field)) return instantText(t.days, t.usec - l.offset * 1_000_000);
  const back = fromLocal(t.days, t.usec, zone);
  return instantText(back.days, back.usec);
}

function extract(field: string, v: string, oid: number): string {
  if (oid === Oid.TIMESTAMPTZ) return extractTstz(field, v);
  if (oid === Oid.INTERVAL) {
    const iv = parseInterval(v);
    const secs = iv.usec / 1_000_000;
    const map: Record<string, number> = {
      year: Math.trunc(iv.months / 12), month: iv.months % 12, day: iv.days, hour: Math.trunc(secs / 3600),
      minute: Math.trunc(secs / 60) % 60, epoch: (iv.months * 30 + iv.days) * 86400 + secs,
    };
    if (field === 'second') return decToText(divScale(decFromInt(Math.round(iv.usec % 60_000_000)), decFromInt(1_000_000), 6));
    if (!(field in map)) throw new DbError('feature_not_supported', `unit "${field}" not supported for type interval`);
    return String(map[field]);
  }
  const [y, m, d, usec, days] = parts(v, oid);
  const secOfDay = Math.floor(usec / 1_000_000);
  switch (field) {
    case 'year': return String(y);
    case 'month': return String(m);
    case 'day': return String(d);
    case 'quarter': return String(Math.floor((m - 1) / 3) + 1);
    case 'decade': return String(Math.floor(y / 10));
    case 'century': return String(y > 0 ? Math.floor((y - 1) / 100) + 1 : -Math.floor((-y) / 100) - 1);
    case 'millennium': return String(y > 0 ? Math.floor((y - 1) / 1000) + 1 : -Math.floor((-y) / 1000) - 1);
    case 'dow': return String(((days % 7) + 11) % 7);
    case 'isodow': return String(((days % 7) + 10) % 7 + 1);
    case 'doy': return String(days - daysFromCivil(y, 1, 1) + 1);
    case 'week': {
      const dow = ((days % 7) + 10) % 7; // Monday = 0
      const thursday = days - dow + 3;
      const [ty] = civilFromDays(thursday);
      return String(Math.floor((thursday - daysFromCivil(ty, 1, 1)) / 7) + 1);
    }
    case 'hour': return String(Math.floor(secOfDay / 3600));
    case 'minute': return String(Math.floor(secOfDay / 60) % 60);
    case 'second': return decToText(divScale(decFromInt(usec % 60_000_000), decFromInt(1_000_000), 6));
    case 'milliseconds': return decToText(divScale(decFromInt(usec % 60_000_000), decFromInt(1000), 3));
    case 'microseconds': return String(usec % 60_000_000);
    case 'epoch': {
      const text = decToText(divScale(decFromText(String(BigInt(days) * BigInt(US_PER_DAY) + BigInt(usec))), decFromInt(1_000_000), 6)); // exact far from 1970
      return oid === Oid.DATE ? text.replace(/\.0+$/, '') : text; // a date's epoch is whole, a timestamp's keeps six places
    }
    default:
      throw new DbError('feature_not_supported', `unit "${field}" not supported for type ${oid === Oid.DATE ? 'date' : 'timestamp without time zone'}`);
  }
}

function truncate(field: string, v: string, oid: number): string {
  if (oid === Oid.TIMESTAMPTZ) return truncateTstz(field, v);
  const [y, m, d, usec, days] = parts(v, oid);
  const ts = (dd: number, u = 0): string => formatTimestamp(dd, u);
  switch (field) {
    case 'millennium': return ts(daysFromCivil(Math.floor((y - 1) / 1000) * 1000 + 1, 1, 1));
    case 'century': return ts(daysFromCivil(Math.floor((y - 1) / 100) * 100 + 1, 1, 1));
    case 'decade': return ts(daysFromCivil(Math.floor(y / 10) * 10, 1, 1));
    case 'year': return ts(daysFromCivil(y, 1, 1));
    case 'quarter': return ts(daysFromCivil(y, Math.floor((m - 1) / 3) * 3 + 1, 1));
    case 'month': return ts(daysFromCivil(y, m, 1));
    case 'week': return ts(days - (((days % 7) + 10) % 7));
    case 'day': return ts(daysFromCivil(y, m, d));
    case 'hour': return ts(days, Math.floor(usec / 3_600_000_000) * 3_600_000_000);
    case 'minute': return ts(days, Math.floor(usec / 60_000_000) * 60_000_000);
    case 'second': return ts(days, Math.floor(usec / 1_000_000) * 1_000_000);
    case 'milliseconds': return ts(days, Math.floor(usec / 1000) * 1000);
    case 'microseconds': return ts(days, usec);
    default: throw new DbError('feature_not_supported', `unit "${field}" not recognized for type timestamp without time zone`);
  }
}

/** The date/time function `name`, or null when there is no such function for these arguments. */
export function dateTimeFunction(name: string, args: readonly Compiled[]): Compiled | null {
  switch (name) {
    case 'now': case 'transaction_timestamp': case 'statement_timestamp':
      return args.length === 0 ? { type: TIMESTAMPTZ, fn: (_r, c) => msToTimestamp(c.now, true) } : null;
    case 'clock_timestamp':
      return args.length === 0 ? { type: TIMESTAMPTZ, fn: () => msToTimestamp(Date.now(), true) } : null;
    case 'localtimestamp':
      return args.length === 0 ? { type: TIMESTAMP, fn: (_r, c) => tstzToTimestamp(msToTimestamp(c.now, true)) } : null;
    case 'current_date':
      return args.length === 0 ? { type: DATE, fn: (_r, c) => tstzToDate(msToTimestamp(c.now, true)) } : null;
    case 'extract': case 'date_part': case 'date_trunc': {
      if (name === 'date_trunc' && args.length === 3) return truncInZone(args);
      if (args.length !== 2) return null;
      const f = as(args[0]!, TEXT);
      const src = args[1]!;
      const srcOid = src.type.oid === Oid.UNKNOWN ? Oid.TIMESTAMP : src.type.oid;
      const vf = src.type.oid === Oid.UNKNOWN ? src.retype!(TIMESTAMP, 'implicit').fn : src.fn;
      if (!f || !(srcOid === Oid.DATE || srcOid === Oid.TIMESTAMP || srcOid === Oid.TIMESTAMPTZ || srcOid === Oid.INTERVAL)) return null;
      if (srcOid === Oid.TIMESTAMPTZ) dependsOnSession();
      if (name === 'date_trunc') {
        if (srcOid === Oid.INTERVAL) return null;
        // As in PostgreSQL, a date goes in as a timestamptz (the preferred type of its category): local midnight in the session's zone.
        const asTstz = srcOid === Oid.DATE;
        if (asTstz) dependsOnSession();
        const oid = asTstz ? Oid.TIMESTAMPTZ : srcOid;
        return { type: oid === Oid.TIMESTAMPTZ ? TIMESTAMPTZ : TIMESTAMP, fn: (r, c) => {
          const u = f(r, c), v = vf(r, c);
          if (u === null || v === null) return null;
          return truncate((u as string).toLowerCase(), asTstz ? dateToTstz(dateDays(v as string)) : (v as string), oid);
        } };
      }
      // extract() is numeric since PostgreSQL 14; date_part() stays double precision.
      const numeric = name === 'extract';
      return { type: numeric ? NUMERIC : { oid: Oid.FLOAT8, typmod: -1 }, fn: (r, c) => {
        const u = f(r, c), v = vf(r, c);
        if (u === null || v === null) return null;
        const text = extract((u as string).toLowerCase().replace(/s$/, (x) => ((u as string).toLowerCase() === 'seconds' ? '' : x)), v as string, srcOid);
        return numeric ? text : Number(text);
      } };
    }
    case 'make_date': {
      const fs = args.map((a) => as(a, INT4));
      if (args.length !== 3 || fs.some((x) => !x)) return null;
      const [yf, mf, df] = fs as [Fn, Fn, Fn];
      return { type: DATE, fn: (r, c) => {
        const y = yf(r, c), m = mf(r, c), d = df(r, c);
        if (y === null || m === null || d === null) return null;
        const [yy, mm, dd] = civilFromDays(daysFromCivil(y as number, m as number, d as number));
        if (yy !== y || mm !== m || dd !== d) throw new DbError('datetime_field_overflow', `date field value out of range: ${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
        return formatDate(daysFromCivil(y as number, m as number, d as number));
      } };
    }
    case 'age': {
      // age(a, b) in years, months and days; age(b) counts from today's midnight (current_date).
      if (args.length !== 1 && args.length !== 2) return null;
      // A timestamptz counts on the session's calendar (timestamptz_age).
      const wall = (x: Compiled): Fn | null => {
        if (x.type.oid !== Oid.TIMESTAMPTZ) return as(x, TIMESTAMP);
        dependsOnSession();
        const g = x.fn;
        return (r, c) => { const v = g(r, c); return v === null ? null : tstzToTimestamp(v as string); };
      };
      const a = args.length === 2 ? wall(args[0]!) : null, b = wall(args[args.length - 1]!);
      if ((args.length === 2 && !a) || !b) return null;
      return { type: INTERVAL, fn: (r, c) => {
        const x = a ? a(r, c) : tstzToDate(msToTimestamp(c.now, true)) + ' 00:00:00', y = b(r, c);
        return x === null || y === null ? null : symbolicAge(x as string, y as string);
      } };
    }
    case 'justify_hours': case 'justify_days': case 'justify_interval': {
      const a = args.length === 1 ? as(args[0]!, INTERVAL) : null;
      if (!a) return null;
      const hours = name !== 'justify_days', days = name !== 'justify_hours';
      return { type: INTERVAL, fn: (r, c) => { const v = a(r, c); return v === null ? null : formatInterval(justifyInterval(parseInterval(v as string), hours, days)); } };
    }
    case 'to_char': {
      if (args.length !== 2) return null;
      const t = args[0]!.type.oid;
      const fmt = as(args[1]!, TEXT);
      if (!fmt || !(t === Oid.DATE || t === Oid.TIMESTAMP || t === Oid.TIMESTAMPTZ)) return null;
      if (t === Oid.TIMESTAMPTZ) dependsOnSession();
      const v = args[0]!.fn;
      return { type: TEXT, fn: (r, c) => {
        const x = v(r, c), f = fmt(r, c);
        if (x === null || f === null) return null;
        if (t === Oid.TIMESTAMPTZ) {
          const u = timestampParts(x as string), l = toLocal(u.days, u.usec);
          return formatDateTime(l.days, l.usec, f as string, { abbrev: zoneAbbreviation(u.days, u.usec, l.offset), offset: l.offset });
        }
        const { days, usec } = t === Oid.DATE ? { days: dateDays(x as string), usec: 0 } : timestampParts(x as string);
        return formatDateTime(days, usec, f as string, null);
      } };
    }
    case 'timezone': {
      // value AT TIME ZONE zone (timezone.ts)
      if (args.length !== 2) return null;
      const z = as(args[0]!, TEXT);
      const t = args[1]!.type.oid === Oid.UNKNOWN ? Oid.TIMESTAMPTZ : args[1]!.type.oid;
      if (!z || !(t === Oid.TIMESTAMP || t === Oid.TIMESTAMPTZ || t === Oid.DATE)) return null;
      if (t === Oid.DATE) dependsOnSession(); // the date becomes local midnight first
      const v = as(args[1]!, t === Oid.DATE ? TIMESTAMPTZ : { oid: t, typmod: -1 })!;
      const toWall = t !== Oid.TIMESTAMP;
      return { type: toWall ? TIMESTAMP : TIMESTAMPTZ, fn: (r, c) => {
        const zone = z(r, c), x = v(r, c);
        if (zone === null || x === null) return null;
        const { days, usec } = timestampParts(x as string);
        return toWall ? instantToZone(days, usec, zone as string) : zoneToInstant(days, usec, zone as string);
      } };
    }
    case 'to_date': case 'to_timestamp':
      return null;
    default: return null;
  }
}

/** date_trunc(unit, timestamptz, zone): truncated in the zone named, whatever the session's. */
function truncInZone(args: readonly Compiled[]): Compiled | null {
  const f = as(args[0]!, TEXT), v = as(args[1]!, TIMESTAMPTZ), z = as(args[2]!, TEXT);
  if (!f || !v || !z) return null;
  return { type: TIMESTAMPTZ, fn: (r, c) => {
    const u = f(r, c), x = v(r, c), zone = z(r, c);
    return u === null || x === null || zone === null ? null : truncateTstz((u as string).toLowerCase(), x as string, parseZone(zone as string, 'at'));
  } };
}
