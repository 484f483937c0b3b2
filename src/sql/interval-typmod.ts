/**
 * Interval field qualifiers: `interval '1' day`, `'1:30'::interval hour to
 * minute`, a column `interval year to month`, `interval(3)`.
 *
 * The typmod is PostgreSQL's: (range << 16) | precision, where range is a
 * bit set of fields (YEAR 4, MONTH 2, DAY 8, HOUR 1024, MINUTE 2048, SECOND
 * 4096; 32767 for no qualifier) and precision the fractional digits of the
 * seconds (0–6; 65535 for none). A qualifier does two things, as in
 * PostgreSQL:
 *  Q1. A number without a unit counts in the range's last field ('1' day is
 *      a day, '90' minute an hour and a half); seconds when that field is
 *      SECOND or there is no range.
 *  Q2. The value is cut to the range's last field: months to whole years
 *      for YEAR, the days and time dropped for MONTH, the time for DAY, the
 *      time cut to hours or minutes (toward zero), and the seconds rounded
 *      to the precision.
 */
import { DbError } from '../errors/index.ts';
import type { Interval } from './datetime.ts';

const MONTH = 2, YEAR = 4, DAY = 8, HOUR = 1024, MINUTE = 2048, SECOND = 4096, FULL_RANGE = 0x7fff, FULL_PRECISION = 0xffff;

/** The ranges SQL allows, and how PostgreSQL spells them after `interval`. */
const RANGES = new Map<number, string>([
  [YEAR, 'year'], [MONTH, 'month'], [DAY, 'day'], [HOUR, 'hour'], [MINUTE, 'minute'], [SECOND, 'second'],
  [YEAR | MONTH, 'year to month'], [DAY | HOUR, 'day to hour'], [DAY | HOUR | MINUTE, 'day to minute'],
  [DAY | HOUR | MINUTE | SECOND, 'day to second'], [HOUR | MINUTE, 'hour to minute'], [HOUR | MINUTE | SECOND, 'hour to second'],
  [MINUTE | SECOND, 'minute to second'], [FULL_RANGE, ''],
]);

const US_PER_HOUR = 3_600_000_000, US_PER_MINUTE = 60_000_000;

const rangeOf = (typmod: number): number => (typmod < 0 ? FULL_RANGE : (typmod >>> 16) & FULL_RANGE);
const precisionOf = (typmod: number): number => (typmod < 0 ? FULL_PRECISION : typmod & 0xffff);

/** The typmod of `interval` with the parser's modifiers ([range] or [range, precision]); -1 for none. */
export function intervalTypmod(mods: readonly number[], position: number | undefined): number {
  const range = mods[0]!;
  if (mods.length > 2 || !RANGES.has(range)) throw new DbError('syntax_error', 'invalid INTERVAL type modifier', { position });
  let precision = mods.length === 2 ? mods[1]! : FULL_PRECISION;
  if (precision !== FULL_PRECISION) {
    if (precision < 0) throw new DbError('invalid_parameter_value', `INTERVAL(${precision}) precision must not be negative`, { position });
    precision = Math.min(precision, 6); // PostgreSQL warns and reduces it
  }
  return range === FULL_RANGE && precision === FULL_PRECISION ? -1 : (range << 16) | precision;
}

/** 'interval day to second(3)', as format_type and \d show the type. */
export function intervalTypeName(typmod: number): string {
  const range = RANGES.get(rangeOf(typmod));
  if (range === undefined) throw new DbError('internal_error', 'invalid INTERVAL typmod');
  const p = precisionOf(typmod);
  const precision = p === FULL_PRECISION ? '' : `(${p})`;
  return `interval${range ? ' ' + range : ''}${precision}`;
}

/** Q1: the unit a number without one counts in. */
export function bareUnit(typmod: number): string {
  const range = rangeOf(typmod);
  if (range & SECOND || range === FULL_RANGE) return 'second';
  if (range & MINUTE) return 'minute';
  if (range & HOUR) return 'hour';
  if (range & DAY) return 'day';
  if (range & MONTH) return 'month';
  return 'year';
}

/** Q1: whether a time of two fields is minutes:seconds (MINUTE TO SECOND). */
export const minutesFirst = (typmod: number): boolean => rangeOf(typmod) === (MINUTE | SECOND);

/** Q2: the interval cut to the typmod's last field and precision. */
export function adjustInterval(iv: Interval, typmod: number): Interval {
  if (typmod < 0) return iv;
  const range = rangeOf(typmod);
  const cut = (usec: number, unit: number): number => Math.trunc(usec / unit) * unit;
  if (range === YEAR) return { months: cut(iv.months, 12), days: 0, usec: 0 };
  if (range === MONTH || range === (YEAR | MONTH)) return { months: iv.months, days: 0, usec: 0 };
  if (range === DAY) return { months: iv.months, days: iv.days, usec: 0 };
  if (!(range & SECOND) && range !== FULL_RANGE) {
    return { months: iv.months, days: iv.days, usec: cut(iv.usec, range & MINUTE ? US_PER_MINUTE : US_PER_HOUR) };
  }
  const p = precisionOf(typmod);
  if (p === FULL_PRECISION || p >= 6) return iv;
  const unit = 10 ** (6 - p);
  const rounded = Math.sign(iv.usec) * Math.floor((Math.abs(iv.usec) + unit / 2) / unit) * unit; // half away from zero
  return { months: iv.months, days: iv.days, usec: rounded };
}
