/**
 * date, timestamp and interval: input, output and arithmetic.
 *
 * Values travel as PostgreSQL's ISO output text (types.ts). Arithmetic
 * works on a day number (days since 1970-01-01, proleptic Gregorian) and
 * microseconds within the day; intervals on { months, days, usec } as
 * PostgreSQL keeps them.
 *
 * Input accepted: YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY (DateStyle MDY),
 * 'Mon DD YYYY' month names, the words epoch/today/tomorrow/yesterday; a
 * time HH:MM[:SS[.ffffff]] after a blank or 'T'; a trailing time zone is
 * ignored by timestamp (as timestamp without time zone does).
 */
import { DbError } from '../errors/index.ts';
import { errorWithCode } from './sqlerror.ts';

const US_PER_DAY = 86_400_000_000;
const p2 = (n: number): string => String(n).padStart(2, '0');

/** Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const daysInMonth = (y: number, m: number): number =>
  m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export function formatDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  if (y <= 0) return `${String(1 - y).padStart(4, '0')}-${p2(m)}-${p2(d)} BC`;
  return `${String(y).padStart(4, '0')}-${p2(m)}-${p2(d)}`;
}

export function formatTime(usec: number): string {
  const secs = Math.floor(usec / 1_000_000);
  const frac = usec % 1_000_000;
  const base = `${p2(Math.floor(secs / 3600))}:${p2(Math.floor(secs / 60) % 60)}:${p2(secs % 60)}`;
  return frac === 0 ? base : `${base}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
}

export function formatTimestamp(days: number, usec: number): string {
  const d = formatDate(days);
  const bc = d.endsWith(' BC');
  return `${bc ? d.slice(0, -3) : d} ${formatTime(usec)}${bc ? ' BC' : ''}`;
}

/** Today's day number in the session's time zone (timezone.ts installs it; UTC until then). */
let localToday = (): number => Math.floor(Date.now() / 86_400_000);
export function setLocalToday(f: () => number): void {
  localToday = f;
}

/** Parses the date and time of a date/timestamp literal; `what` names the type in errors. */
export function parseDateTime(text: string, what: 'date' | 'timestamp'): { days: number; usec: number; offsetSec?: number; zoneName?: string } {
  const badSyntax = (): DbError => new DbError('invalid_datetime_format', `invalid input syntax for type ${what === 'timestamp' ? 'timestamp' : 'date'}: "${text}"`);
  const range = (): DbError => new DbError('datetime_field_overflow', `date/time field value out of range: "${text}"`);
  const s = text.trim().toLowerCase();
  switch (s) {
    case 'epoch': return { days: 0, usec: 0, offsetSec: 0 }; // an instant: 1970-01-01 00:00 UTC
    case 'today': return { days: localToday(), usec: 0 };
    case 'tomorrow': return { days: localToday() + 1, usec: 0 };
    case 'yesterday': return { days: localToday() - 1, usec: 0 };
    default:
  }
  let rest = s;
  let y: number, m: number, d: number;
  let mt: RegExpExecArray | null;
  if ((mt = /^(\d{1,})-(\d{1,2})-(\d{1,2})/.exec(rest)) && mt[1]!.length <= 7) {
    [y, m, d] = [Number(mt[1]), Number(mt[2]), Number(mt[3])];
    if (mt[1]!.length < 3 && Number(mt[1]) > 0 && mt[1]!.length !== 4) y = Number(mt[1]) < 70 ? 2000 + y : 1900 + y;
  } else if ((mt = /^(\d{4})(\d{2})(\d{2})(?!\d)/.exec(rest))) {
    [y, m, d] = [Number(mt[1]), Number(mt[2]), Number(mt[3])];
  } else if ((mt = /^(\d{1,2})\/(\d{1,2})\/(\d{1,4})/.exec(rest))) {
    [m, d, y] = [Number(mt[1]), Number(mt[2]), Number(mt[3])];
  } else if ((mt = /^([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{1,4})/.exec(rest)) && MONTHS.includes(mt[1]!)) {
    [m, d, y] = [MONTHS.indexOf(mt[1]!) + 1, Number(mt[2]), Number(mt[3])];
  } else {
    throw badSyntax();
  }
  rest = rest.slice(mt[0].length);
  let usec = 0;
  const tm = /^(?:\s+|t)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?/.exec(rest);
  if (tm) {
    const [hh, mi, ss] = [Number(tm[1]), Number(tm[2]), Number(tm[3] ?? 0)];
    if (hh > 24 || mi > 59 || ss > 60 || (hh === 24 && (mi > 0 || ss > 0))) throw range();
    const frac = tm[4] ? Math.round(Number('0.' + tm[4]) * 1_000_000) : 0;
    usec = ((hh * 60 + mi) * 60 + ss) * 1_000_000 + frac;
    rest = rest.slice(tm[0].length);
  }
  rest = rest.trim();
  let bc = false;
  if (rest.endsWith('bc')) { bc = true; rest = rest.slice(0, -2).trim(); } else if (rest.endsWith('ad')) rest = rest.slice(0, -2).trim();
  // A time zone (Z, +hh[:mm], UTC): timestamp without time zone ignores it, timestamptz converts by it (parseTimestamptz).
  const zone = /^(z|utc|gmt|([+-])(\d{1,2})(?::?(\d{2})(?::(\d{2}))?)?)$/.exec(rest);
  // Or a zone's name ('America/New_York'), which timezone.ts looks up.
  const named = !zone && /^[a-z][a-z_]*(?:\/[a-z0-9_+-]+)+$/.test(rest) ? rest : undefined;
  if (rest !== '' && !zone && !named) throw badSyntax();
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(bc ? 1 - y : y, m)) throw range();
  if (y === 0) throw range();
  let days = daysFromCivil(bc ? 1 - y : y, m, d);
  if (usec >= US_PER_DAY) { days += 1; usec -= US_PER_DAY; }
  if (named) return { days, usec, zoneName: named };
  if (!zone?.[2]) return zone ? { days, usec, offsetSec: 0 } : { days, usec };
  const hours = Number(zone[3]), minutes = Number(zone[4] ?? 0), seconds = Number(zone[5] ?? 0);
  if (hours > 15 || minutes > 59 || seconds > 59) throw errorWithCode('22009', `time zone displacement out of range: "${text}"`);
  return { days, usec, offsetSec: (zone[2] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60 + seconds) };
}

export function parseDate(text: string): string {
  return formatDate(parseDateTime(text, 'date').days);
}

export function parseTimestamp(text: string): string {
  const { days, usec } = parseDateTime(text, 'timestamp');
  return formatTimestamp(days, usec);
}

/** Our own canonical text back to numbers (no validation needed). */
export function dateDays(v: string): number {
  return parseDateTime(v, 'date').days;
}

export function timestampParts(v: string): { days: number; usec: number } {
  return parseDateTime(v.replace(/\+00$/, ''), 'timestamp');
}

export function timestampToDate(v: string): string {
  return formatDate(timestampParts(v).days);
}

export function dateToTimestamp(v: string): string {
  return formatTimestamp(dateDays(v), 0);
}

/** The last instant formatted: a transaction's now() is asked for once per row and statement. */
let lastMs = NaN;
let lastText = '';

/** A JavaScript time (ms since 1970, UTC) as timestamp text, with +00 for timestamptz. */
export function msToTimestamp(ms: number, withZone: boolean): string {
  if (ms !== lastMs) {
    const days = Math.floor(ms / 86_400_000);
    lastText = formatTimestamp(days, (ms - days * 86_400_000) * 1000);
    lastMs = ms;
  }
  return withZone ? lastText + '+00' : lastText;
}

// ---- intervals ----

export interface Interval { months: number; days: number; usec: number }

const INT32_MAX = 2_147_483_647;
/** The largest microsecond count PostgreSQL's 64-bit interval time holds (as a double, so only the range is checked). */
const INT64_MAX_US = 9_223_372_036_854_775_807;

/** A unit: the field it adds to, by how much, and its bit in a string's mask of fields used (each at most once). */
type Unit = readonly [keyof Interval, number, number];
const UNITS: Record<string, Unit> = {
  microsecond: ['usec', 1, 1], millisecond: ['usec', 1000, 2], second: ['usec', 1_000_000, 4], minute: ['usec', 60_000_000, 8],
  hour: ['usec', 3_600_000_000, 16], day: ['days', 1, 32], week: ['days', 7, 64], month: ['months', 1, 128], mon: ['months', 1, 128],
  year: ['months', 12, 256], decade: ['months', 120, 512], century: ['months', 1200, 1024], millennium: ['months', 12000, 2048],
};
const [US_BIT, MS_BIT, SECOND_BIT, MINUTE_BIT, HOUR_BIT, DAY_BIT, MONTH_BIT] = [1, 2, 4, 8, 16, 32, 128];
/** A fractional second fills the millisecond and microsecond fields too; a time h:m:s every field from hours down. */
const ALL_SECONDS = US_BIT | MS_BIT | SECOND_BIT;
const TIME_FIELDS = ALL_SECONDS | MINUTE_BIT | HOUR_BIT;
const UNIT_ALIASES: Record<string, string> = {
  s: 'second', us: 'microsecond', usec: 'microsecond', ms: 'millisecond', msec: 'millisecond', sec: 'second', min: 'minute',
  hr: 'hour', h: 'hour', d: 'day', w: 'week', y: 'year', yr: 'year', m: 'minute', c: 'century', cent: 'century',
  centuries: 'century', mil: 'millennium', millennia: 'millennium',
};
/** An abbreviation as written (ms is milliseconds, not a plural m), else the word with or without its plural s. */
const unitOf = (word: string): Unit | undefined => {
  const exact = UNIT_ALIASES[word] ?? (UNITS[word] ? word : undefined);
  if (exact) return UNITS[exact];
  const w = word.replace(/s$/, '');
  return UNITS[w] ?? UNITS[UNIT_ALIASES[w] ?? ''];
};

/**
 * `bare`: the unit of a number written without one (interval-typmod.ts Q1),
 * seconds unless a field qualifier says otherwise; `minutesFirst`: a time
 * of two fields is minutes:seconds (MINUTE TO SECOND), not hours:minutes.
 */
export function parseInterval(text: string, bare = 'second', minutesFirst = false): Interval {
  const bad = (): DbError => new DbError('invalid_datetime_format', `invalid input syntax for type interval: "${text}"`);
  const out: Interval = { months: 0, days: 0, usec: 0 };
  if (text.startsWith('P')) return parseIsoInterval(text, bad); // as PostgreSQL: untrimmed, designators upper case
  let s = text.trim().toLowerCase().replace(/^@\s*/, '');
  let ago = false;
  if (s.endsWith(' ago')) { ago = true; s = s.slice(0, -4); }
  if (s === '') throw bad();
  // A time (h:mm[:ss]) first, then SQL's year-month (y-m), then a number with or without its unit.
  const re = /\s*([+-]?)(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?|\s*([+-]?)(\d+)-(\d+)(?![\d:])|\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-z]*)/y;
  let pos = 0;
  // Each field at most once, as PostgreSQL's DecodeInterval: '1 day 2 days' and '1 hour 1:00' are errors.
  let used = 0;
  const use = (bits: number): void => {
    if (used & bits) throw bad();
    used |= bits;
  };
  // Months and days are 32-bit fields, the time 64-bit microseconds, as in PostgreSQL.
  const beyond32 = (v: number): boolean => v > INT32_MAX || v < -INT32_MAX - 1;
  const checkRange = (): void => {
    if (beyond32(out.months) || beyond32(out.days) || Math.abs(out.usec) > INT64_MAX_US) {
      throw new DbError('interval_field_overflow', `interval field value out of range: "${text}"`);
    }
  };
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) { if (s.slice(pos).trim() === '') break; throw bad(); }
    const start = pos;
    pos = re.lastIndex;
    if (m[8] !== undefined) {
      // A bare number is days right before a time ('1 2:00') or an hours field ('5 1 hour'), seconds as the last field
      // ('5', '1 day 2'), as PostgreSQL reads it; anywhere else ('3 4', '1 2 day', '10 ago', '2:00 3', '1 s 2') it is an error.
      let word = m[9]!;
      if (word === '') {
        if (start > 0 && !/^\s/.test(m[0])) throw bad(); // '1 day2'
        const next = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)/.exec(s.slice(pos));
        if ((/^\s*[+-]?\d+:/.test(s.slice(pos)) || (next && unitOf(next[1]!)?.[2] === HOUR_BIT)) && !(used & DAY_BIT)) word = 'day';
        else if (s.slice(pos).trim() === '' && !ago && !(used & ALL_SECONDS)) word = bare;
        else throw bad();
      }
      const unit = unitOf(word);
      if (!unit) throw bad();
      const [field, mult, bit] = unit;
      const n = Number(m[8]);
      // A year field beyond the months' 32 bits is "interval out of range" in PostgreSQL; other overflows are checked below.
      if (field === 'months' && mult >= 12 && Math.abs(Math.trunc(n * mult)) > INT32_MAX) {
        throw new DbError('datetime_field_overflow', 'interval out of range');
      }
      if (field === 'months' && !Number.isInteger(n * mult)) { out.months += Math.trunc(n * mult); out.days += Math.round((n * mult % 1) * 30); }
      else if (field === 'days' && !Number.isInteger(n * mult)) { out.days += Math.trunc(n * mult); out.usec += Math.round((n * mult % 1) * US_PER_DAY); }
      else out[field] += Math.round(n * mult);
      // PostgreSQL adds a field (checking its range) before it checks that the field is new.
      checkRange();
      use(bit === SECOND_BIT && !Number.isInteger(n) ? ALL_SECONDS : bit);
    } else if (m[6] !== undefined) {
      use(MONTH_BIT); // '1-2 1 month' and '1-2 1-3' are errors; '1-2 1 year' is not, as in PostgreSQL
      if (Number(m[7]) >= 12) throw new DbError('interval_field_overflow', `interval field value out of range: "${text}"`);
      const sign = m[5] === '-' ? -1 : 1;
      out.months += sign * (Number(m[6]) * 12 + Number(m[7]));
    } else {
      use(TIME_FIELDS); // '1 s 2:00' and '1 hour 1:00' are errors
      const sign = m[1] === '-' ? -1 : 1;
      const secs = minutesFirst && m[4] === undefined ? Number(m[2]) * 60 + Number(m[3]) : (Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0);
      out.usec += sign * Math.round(secs * 1_000_000);
    }
  }
  if (ago) { out.months = -out.months; out.days = -out.days; out.usec = -out.usec; }
  checkRange();
  return out;
}

/**
 * ISO 8601 durations, as PostgreSQL reads them: 'P1Y2M3DT4H5M6S' (any field
 * may be fractional, or negative; a fraction spills into the fields below:
 * 'P0.5D' is 12 hours), 'P1W', and the alternative 'P0001-02-03T04:05:06'.
 */
function parseIsoInterval(s: string, bad: () => DbError): Interval {
  const out: Interval = { months: 0, days: 0, usec: 0 };
  const alt = /^P(\d+)-(\d+)-(\d+)(?:T(\d+):(\d+):(\d+(?:\.\d+)?))?$/.exec(s);
  if (alt) {
    out.months = Number(alt[1]) * 12 + Number(alt[2]);
    out.days = Number(alt[3]);
    out.usec = Math.round(((Number(alt[4] ?? 0) * 60 + Number(alt[5] ?? 0)) * 60 + Number(alt[6] ?? 0)) * 1_000_000);
    return out;
  }
  const [date, time, extra] = s.slice(1).split('T');
  if (extra !== undefined || (date === '' && time === undefined)) throw bad(); // 'P' alone; 'PT' is zero
  const add = (part: string, units: Record<string, [keyof Interval, number]>): void => {
    const re = /(-?(?:\d+(?:\.\d*)?|\.\d+))([A-Z])/y;
    for (let pos = 0; pos < part.length; ) {
      re.lastIndex = pos;
      const m = re.exec(part);
      const unit = m ? units[m[2]!] : undefined;
      if (!m || !unit) throw bad();
      pos = re.lastIndex;
      const n = Number(m[1]) * unit[1];
      if (unit[0] === 'months') { out.months += Math.trunc(n); out.days += Math.trunc((n % 1) * 30); out.usec += Math.round(((n % 1) * 30 % 1) * US_PER_DAY); }
      else if (unit[0] === 'days') { out.days += Math.trunc(n); out.usec += Math.round((n % 1) * US_PER_DAY); }
      else out.usec += Math.round(n);
    }
  };
  add(date!, { Y: ['months', 12], M: ['months', 1], W: ['days', 7], D: ['days', 1] });
  if (time !== undefined) add(time, { H: ['usec', 3_600_000_000], M: ['usec', 60_000_000], S: ['usec', 1_000_000] });
  return out;
}

/** PostgreSQL's IntervalStyle postgres output: '1 year 2 mons 3 days 04:05:06'. */
export function formatInterval(iv: Interval): string {
  const parts: string[] = [];
  const years = Math.trunc(iv.months / 12), mons = iv.months % 12;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`; // PostgreSQL writes -1 days
  if (years) parts.push(plural(years, 'year'));
  if (mons) parts.push(plural(mons, 'mon'));
  if (iv.days) parts.push(plural(iv.days, 'day'));
  if (iv.usec !== 0 || parts.length === 0) {
    const neg = iv.usec < 0;
    const t = formatTime(Math.abs(iv.usec));
    const sign = neg ? '-' : parts.length > 0 && (iv.days < 0 || iv.months < 0) ? '+' : '';
    parts.push(sign + t);
  }
  return parts.join(' ');
}

export function timestampAddInterval(v: string, iv: Interval, sign: 1 | -1): string {
  let { days, usec } = timestampParts(v);
  if (iv.months) {
    const [y, m, d] = civilFromDays(days);
    const total = y * 12 + (m - 1) + sign * iv.months;
    const ny = Math.floor(total / 12), nm = total - ny * 12 + 1;
    days = daysFromCivil(ny, nm, Math.min(d, daysInMonth(ny, nm)));
  }
  days += sign * iv.days;
  usec += sign * iv.usec;
  const carry = Math.floor(usec / US_PER_DAY);
  return formatTimestamp(days + carry, usec - carry * US_PER_DAY);
}

export function timestampDiff(a: string, b: string): string {
  const x = timestampParts(a), y = timestampParts(b);
  let usec = (x.days - y.days) * US_PER_DAY + (x.usec - y.usec);
  const neg = usec < 0;
  if (neg) usec = -usec;
  const days = Math.floor(usec / US_PER_DAY);
  const rest = usec - days * US_PER_DAY;
  return formatInterval({ months: 0, days: neg ? -days : days, usec: neg ? -rest : rest });
}

/** interval ± interval: field by field, as PostgreSQL adds them (no normalization). */
export function addIntervals(a: Interval, b: Interval, sign: 1 | -1): Interval {
  return { months: a.months + sign * b.months, days: a.days + sign * b.days, usec: a.usec + sign * b.usec };
}

/**
 * interval * factor (and / factor as * 1/factor), as PostgreSQL's
 * interval_mul: a fraction of a month goes to days at 30 days a month, a
 * fraction of a day to time at 24 hours a day.
 */
export function scaleInterval(iv: Interval, f: number): Interval {
  const m = iv.months * f;
  const months = Math.trunc(m);
  const d = iv.days * f + (m - months) * 30;
  const days = Math.trunc(d);
  const usec = Math.round(iv.usec * f + (d - days) * US_PER_DAY);
  if (!Number.isFinite(m) || !Number.isFinite(d) || Math.abs(months) > 2 ** 31 - 1 || Math.abs(days) > 2 ** 31 - 1 || !Number.isSafeInteger(usec)) {
    throw new DbError('datetime_field_overflow', 'interval out of range');
  }
  return { months: months || 0, days: days || 0, usec: usec || 0 };
}

/**
 * age(a, b): a - b in years, months and days as a calendar counts them
 * (PostgreSQL's timestamp_age): field differences, a negative field
 * borrowing from the next, days from the length of the earlier value's month.
 */
export function symbolicAge(a: string, b: string): string {
  const x = timestampParts(a), y = timestampParts(b);
  const neg = x.days < y.days || (x.days === y.days && x.usec < y.usec);
  const [hi, lo] = neg ? [y, x] : [x, y];
  const [y1, m1, d1] = civilFromDays(hi.days), [y2, m2, d2] = civilFromDays(lo.days);
  let usec = hi.usec - lo.usec, day = d1 - d2, mon = m1 - m2, year = y1 - y2;
  if (usec < 0) { usec += US_PER_DAY; day--; }
  if (day < 0) { day += daysInMonth(y2, m2); mon--; }
  if (mon < 0) { mon += 12; year--; }
  const s = neg ? -1 : 1;
  return formatInterval({ months: s * (year * 12 + mon) || 0, days: s * day || 0, usec: s * usec || 0 });
}

/** justify_hours / justify_days / justify_interval: 24 hours make a day, 30 days a month, then signs are made to agree (PostgreSQL's order). */
export function justifyInterval(iv: Interval, hours: boolean, days: boolean): Interval {
  let { months, days: d, usec } = iv;
  if (hours) {
    const carry = Math.trunc(usec / US_PER_DAY);
    d += carry; usec -= carry * US_PER_DAY;
  }
  if (days) {
    const carry = Math.trunc(d / 30);
    months += carry; d -= carry * 30;
    if (months > 0 && (d < 0 || (hours && d === 0 && usec < 0))) { d += 30; months--; }
    else if (months < 0 && (d > 0 || (hours && d === 0 && usec > 0))) { d -= 30; months++; }
  }
  if (hours) {
    if (d > 0 && usec < 0) { usec += US_PER_DAY; d--; } else if (d < 0 && usec > 0) { usec -= US_PER_DAY; d++; }
  }
  return { months, days: d, usec };
}
