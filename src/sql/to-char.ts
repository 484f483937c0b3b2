/**
 * to_char(value, format): PostgreSQL's formatting of dates, timestamps and
 * numbers. Date patterns: YYYY YYY YY Y, MM, MONTH Month month MON Mon mon,
 * DD DDD D, DAY Day day DY Dy dy, HH HH12 HH24, MI, SS, MS, US, AM PM am pm
 * A.M. P.M., Q, TZ OF TZH TZM; FM before a pattern drops its padding; "text" and any
 * other character are copied. Number patterns: 9 0 . D , G S MI FM; a
 * number too wide for the pattern prints as #s, as in PostgreSQL.
 */
import { DbError } from '../errors/index.ts';
import { civilFromDays } from './datetime.ts';
import { formatOffset } from './timezone.ts';
import { decFromText, decRound, decToText } from './numeric.ts';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Longest first, so HH24 wins over HH and MONTH over MON.
const DATE_PATTERNS = ['HH24', 'TZH', 'TZM', 'HH12', 'YYYY', 'MONTH', 'Month', 'month', 'A.M.', 'P.M.', 'a.m.', 'p.m.', 'YYY', 'MON', 'Mon', 'mon', 'DAY', 'Day', 'day',
  'DDD', 'YY', 'MM', 'DD', 'DY', 'Dy', 'dy', 'HH', 'MI', 'SS', 'MS', 'US', 'AM', 'PM', 'am', 'pm', 'TZ', 'tz', 'OF', 'Y', 'D', 'Q'];

const cased = (s: string, like: string): string =>
  (like === like.toUpperCase() ? s.toUpperCase() : like === like.toLowerCase() ? s.toLowerCase() : s);

/** A timestamptz's zone then: its abbreviation (TZ) and offset in seconds east (OF, TZH, TZM). */
export interface ZoneAt { abbrev: string; offset: number }

/** `days` since 1970-01-01 and microseconds into the day (local time), formatted; `zone` for a timestamptz. */
export function formatDateTime(days: number, usec: number, fmt: string, zone: ZoneAt | null): string {
  const [y, m, d] = civilFromDays(days);
  const dow = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const doy = days - Math.round(Date.UTC(y, 0, 1) / 86_400_000) + 1;
  const h = Math.floor(usec / 3_600_000_000), mi = Math.floor(usec / 60_000_000) % 60, s = Math.floor(usec / 1_000_000) % 60;
  let out = '';
  for (let i = 0; i < fmt.length; ) {
    let fm = false;
    if (fmt.startsWith('FM', i) || fmt.startsWith('fm', i)) { fm = true; i += 2; }
    if (fmt[i] === '"') {
      const end = fmt.indexOf('"', i + 1);
      out += end < 0 ? fmt.slice(i + 1) : fmt.slice(i + 1, end);
      i = end < 0 ? fmt.length : end + 1;
      continue;
    }
    if (fmt[i] === '\\' && i + 1 < fmt.length) { out += fmt[i + 1]; i += 2; continue; }
    const p = DATE_PATTERNS.find((x) => fmt.startsWith(x, i));
    if (!p) { out += fmt[i]; i++; continue; }
    i += p.length;
    const num = (v: number, width: number): string => (fm ? String(v) : String(v).padStart(width, '0'));
    const word = (w: string, like: string, width: number): string => { const c = cased(w, like); return fm ? c : c.padEnd(width, ' '); };
    switch (p) {
      case 'YYYY': out += num(y, 4); break;
      case 'YYY': out += num(y % 1000, 3); break;
      case 'YY': out += num(y % 100, 2); break;
      case 'Y': out += String(y % 10); break;
      case 'MM': out += num(m, 2); break;
      case 'MONTH': case 'Month': case 'month': out += word(MONTHS[m - 1]!, p, 9); break;
      case 'MON': case 'Mon': case 'mon': out += cased(MONTHS[m - 1]!.slice(0, 3), p); break;
      case 'DD': out += num(d, 2); break;
      case 'DDD': out += num(doy, 3); break;
      case 'D': out += String(dow + 1); break;
      case 'DAY': case 'Day': case 'day': out += word(DAYS[dow]!, p, 9); break;
      case 'DY': case 'Dy': case 'dy': out += cased(DAYS[dow]!.slice(0, 3), p); break;
      case 'HH': case 'HH12': out += num(h % 12 === 0 ? 12 : h % 12, 2); break;
      case 'HH24': out += num(h, 2); break;
      case 'MI': out += num(mi, 2); break;
      case 'SS': out += num(s, 2); break;
      case 'MS': out += num(Math.floor(usec / 1000) % 1000, 3); break;
      case 'US': out += num(usec % 1_000_000, 6); break;
      case 'AM': case 'PM': out += h < 12 ? 'AM' : 'PM'; break;
      case 'am': case 'pm': out += h < 12 ? 'am' : 'pm'; break;
      case 'A.M.': case 'P.M.': out += h < 12 ? 'A.M.' : 'P.M.'; break;
      case 'a.m.': case 'p.m.': out += h < 12 ? 'a.m.' : 'p.m.'; break;
      case 'Q': out += String(Math.floor((m - 1) / 3) + 1); break;
      case 'TZ': out += zone ? zone.abbrev : ''; break;
      case 'tz': out += zone ? zone.abbrev.toLowerCase() : ''; break;
      case 'OF': out += zone ? formatOffset(Math.trunc(zone.offset / 60) * 60) : ''; break; // hours and minutes, as PostgreSQL
      case 'TZH': out += zone ? (zone.offset < 0 ? '-' : '+') + num(Math.floor(Math.abs(zone.offset) / 3600), 2) : ''; break;
      case 'TZM': out += zone ? num(Math.floor(Math.abs(zone.offset) / 60) % 60, 2) : ''; break;
    }
  }
  return out;
}

/** A number (its text: an integer, a numeric or a float) by a numeric pattern. */
export function formatNumber(text: string, fmt: string): string {
  if (/[eE]|^[+-]?(Infinity|NaN)$/.test(text)) throw new DbError('feature_not_supported', `to_char of ${text} is not supported`);
  const f = fmt.toUpperCase();
  const fm = f.includes('FM');
  const body = f.replace(/FM/g, '');
  const point = body.search(/[.D]/);
  const intPat = point < 0 ? body : body.slice(0, point);
  const fracPat = point < 0 ? '' : body.slice(point + 1).replace(/[^90]/g, '');
  const digits = (s: string): number => (s.match(/[90]/g) ?? []).length;
  const scale = fracPat.length;
  const rounded = decToText(decRound(decFromText(text), scale));
  const neg = rounded.startsWith('-');
  const [ip, fp = ''] = rounded.replace('-', '').split('.');
  const intDigits = ip === '0' ? '' : ip!;
  const width = digits(intPat);
  const signAt = intPat.includes('S') ? 'S' : intPat.includes('MI') || body.endsWith('MI') ? 'MI' : null;
  if (intDigits.length > width) {
    // Too wide: every digit position shows #.
    return (signAt ? '' : ' ') + body.replace(/[90]/g, '#').replace(/[DG]/g, (c) => (c === 'D' ? '.' : ',')).replace(/S|MI/g, '');
  }
  // The integer part, right to left over the pattern.
  let out = '';
  let k = intDigits.length - 1;
  const firstZero = intPat.indexOf('0');
  for (let i = intPat.length - 1; i >= 0; i--) {
    const c = intPat[i]!;
    if (c === '9' || c === '0') {
      if (k >= 0) out = intDigits[k--]! + out;
      else out = (c === '0' || (firstZero >= 0 && i > firstZero) ? '0' : ' ') + out;
    } else if (c === ',' || c === 'G') {
      out = (k >= 0 || (firstZero >= 0 && i > firstZero) ? ',' : ' ') + out;
    }
  }
  // A pattern of 9s shows 0 for a zero integer part only when nothing else would show.
  if (intDigits === '' && !out.includes('0') && scale === 0 && width > 0) out = out.slice(0, -1) + '0';
  let frac = '';
  if (point >= 0) {
    frac = '.' + fp.padEnd(scale, '0');
    if (fm) {
      let n = frac.length;
      for (let i = fracPat.length - 1; i >= 0 && fracPat[i] === '9' && frac[n - 1] === '0'; i--) n--;
      frac = frac.slice(0, n);
    }
  }
  const sign = neg ? '-' : signAt === 'S' ? '+' : signAt === 'MI' ? ' ' : ' ';
  let s: string;
  if (signAt === 'MI') s = out + frac + (neg ? '-' : ' ');
  else {
    // The sign goes right before the first digit shown.
    const lead = out.length - out.trimStart().length;
    s = out.slice(0, lead) + sign + out.slice(lead) + frac;
  }
  return fm ? s.trim() : s;
}
