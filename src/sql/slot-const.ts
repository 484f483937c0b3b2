/**
 * Compiling a slot constant of a shared literal template (literals.ts): the
 * type is fixed by the slot's class (L1); the value is read from the
 * execution's binding. A string slot converted to a concrete type is
 * converted once per execution, before the plan runs (executor.ts runs
 * `slotPlanning.checks`), so a bad literal fails even when no row is read,
 * as a plain literal does.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Expr } from './ast.ts';
import { castFn } from './casts.ts';
import type { Compiled, ExecCtx } from './expr.ts';
import { slotChecks } from './literals.ts';
import { parseNumeric } from './numeric.ts';
import { INT4, INT8, NUMERIC, UNKNOWN, typeDisplayName } from './types.ts';

let nextCheck = 0;

const literal = (c: ExecCtx, slot: number): Value => {
  const t = c.template;
  if (!t) throw new DbError('internal_error', 'a template constant ran without its literals');
  return t.values[slot]!;
};

export function slotConstant(e: Extract<Expr, { kind: 'const' }>): Compiled {
  const slot = e.slot!;
  switch (e.slotClass) {
    case 'i4': return { type: INT4, rowFree: true, fn: (_r, c) => literal(c, slot) };
    case 'i8': return { type: INT8, rowFree: true, fn: (_r, c) => literal(c, slot) };
    case 'num': return { type: NUMERIC, rowFree: true, fn: (_r, c) => parseNumeric(literal(c, slot) as string) };
    default: return {
      type: UNKNOWN, rowFree: true, fn: (_r, c) => literal(c, slot),
      retype: (to, context) => {
        const f = castFn(UNKNOWN, to, context === 'implicit' ? 'explicit' : context);
        if (!f) throw new DbError('datatype_mismatch', `cannot cast type unknown to ${typeDisplayName(to)}`, e.pos >= 0 ? { position: e.pos + 1 } : {});
        const id = nextCheck++;
        const value = (c: ExecCtx): Value => {
          const memo = (c.slotValues ??= new Map());
          if (memo.has(id)) return memo.get(id)!;
          let v: Value;
          try { v = f(literal(c, slot)); } catch (err) {
            if (err instanceof DbError && err.position === undefined && e.pos >= 0) err.position = e.pos + 1;
            throw err;
          }
          memo.set(id, v);
          return v;
        };
        slotChecks.push(value);
        return { type: to, rowFree: true, fn: (_r, c) => value(c) };
      },
    };
  }
}
