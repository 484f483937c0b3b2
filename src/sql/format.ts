/**
 * Output functions that need more than String(): floating point and bytea.
 *
 * float8 and float4 print the shortest decimal that reads back as the same
 * value (PostgreSQL 12+ with extra_float_digits = 1, its default), in
 * fixed notation when the decimal exponent is in [-4, 15) for float8 or
 * [-4, 6) for float4, otherwise as d.ddde±XX with at least two exponent
 * digits: 1e+15, 1e-05, 1.234567e+06.
 */

export function formatFloat8(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return layout(v.toExponential(), 15);
}

export function formatFloat4(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const f = Math.fround(v);
  // The shortest precision whose decimal rounds back to the same float32.
  let text = f.toExponential(8);
  for (let p = 1; p <= 9; p++) {
    const c = f.toExponential(p - 1);
    if (Math.fround(Number(c)) === f) { text = c; break; }
  }
  return layout(text, 6);
}

/** Rewrites JS exponential text ("-1.2345e+17") in PostgreSQL's layout. */
function layout(exp: string, fixedBelow: number): string {
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp)!;
  const sign = m[1]!, digits = m[2]! + (m[3] ?? ''), e = Number(m[4]);
  if (e < -4 || e >= fixedBelow) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(e);
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return sign + digits + '0'.repeat(e + 1 - digits.length);
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

const HEX = '0123456789abcdef';

/** bytea output in hex format: \x followed by two lowercase hex digits per byte. */
export function formatBytea(b: Uint8Array): string {
  let s = '\\x';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}
