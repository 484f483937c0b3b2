/**
 * AST → SQL text, for showing stored expressions (column defaults in \d) and
 * for keying expressions structurally (GROUP BY matching ignores positions).
 */
import type { Expr } from './ast.ts';

const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const quoteIdent = (s: string): string => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);

export function exprToSql(e: Expr): string {
  switch (e.kind) {
    case 'const':
      if (e.slot !== undefined) return `$${e.slot + 1}`; // a template's literal: its value is the execution's (literals.ts)
      if (e.lit === 'null') return 'NULL';
      if (e.lit === 'string') return quoteLiteral(e.value as string);
      if (e.lit === 'bool') return e.value ? 'true' : 'false';
      return String(e.value);
    case 'column': return (e.table ? quoteIdent(e.table) + '.' : '') + quoteIdent(e.name);
    case 'param': return `$${e.index}`;
    case 'binary': return `(${exprToSql(e.left)} ${e.op} ${exprToSql(e.right)})`;
    case 'unary': return `(${e.op}${exprToSql(e.arg)})`;
    case 'and': case 'or': return '(' + e.args.map(exprToSql).join(` ${e.kind.toUpperCase()} `) + ')';
    case 'not': return `(NOT ${exprToSql(e.arg)})`;
    case 'isnull': return `(${exprToSql(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'booltest': return `(${exprToSql(e.arg)} IS ${e.negated ? 'NOT ' : ''}${e.test.toUpperCase()})`;
    case 'func':
      if (e.name === 'array') return `ARRAY[${e.args.map(exprToSql).join(', ')}]`;
      if ((e.name === 'array_any' || e.name === 'array_all') && e.args.length === 3 && e.args[1]!.kind === 'const') {
        return `(${exprToSql(e.args[0]!)} ${String(e.args[1]!.value)} ${e.name === 'array_any' ? 'ANY' : 'ALL'} (${exprToSql(e.args[2]!)}))`;
      }
      return `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${e.star ? '*' : e.args.map(exprToSql).join(', ')})${e.filter ? ` FILTER (WHERE ${exprToSql(e.filter)})` : ''}`;
    case 'cast': {
      if (e.declared) return exprToSql(e.arg);
      const array = e.type.name.startsWith('_'); // parse-query.ts names T[] _T
      return `(${exprToSql(e.arg)})::${array ? e.type.name.slice(1) : e.type.name}${e.type.mods.length ? `(${e.type.mods.join(',')})` : ''}${array ? '[]' : ''}`;
    }
    case 'coalesce': return `COALESCE(${e.args.map(exprToSql).join(', ')})`;
    case 'minmax': return `${e.op.toUpperCase()}(${e.args.map(exprToSql).join(', ')})`;
    case 'nullif': return `NULLIF(${exprToSql(e.left)}, ${exprToSql(e.right)})`;
    case 'like': return `(${exprToSql(e.arg)} ${e.negated ? 'NOT ' : ''}${e.ci ? 'ILIKE' : 'LIKE'} ${exprToSql(e.pattern)}${e.escape ? ' ESCAPE ' + exprToSql(e.escape) : ''})`;
    case 'in_list': return `(${exprToSql(e.arg)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(exprToSql).join(', ')}))`;
    case 'distinct_from': return `(${exprToSql(e.left)} IS ${e.negated ? 'NOT ' : ''}DISTINCT FROM ${exprToSql(e.right)})`;
    case 'window': {
      const parts = [
        e.partition.length ? `PARTITION BY ${e.partition.map(exprToSql).join(', ')}` : '',
        e.order.length ? `ORDER BY ${e.order.map((o) => exprToSql(o.expr) + (o.desc ? ' DESC' : '')).join(', ')}` : '',
      ].filter(Boolean);
      return `${e.name}(${e.star ? '*' : e.args.map(exprToSql).join(', ')}) OVER (${parts.join(' ')})`;
    }
    case 'subquery': {
      const left = e.row ? `ROW(${e.row.map(exprToSql).join(', ')})` : e.arg ? exprToSql(e.arg) : '';
      if (e.row) return `(${left} ${e.test === 'in' ? '=' : e.op} ${e.test === 'rowcompare' ? '' : e.test === 'in' ? 'ANY ' : e.test.toUpperCase() + ' '}(SubPlan))`;
      const test = e.test === 'exists' ? 'EXISTS ' : e.test === 'array' ? 'ARRAY' : e.test === 'in' ? `${exprToSql(e.arg!)} IN ` : e.test === 'scalar' ? '' : `${exprToSql(e.arg!)} ${e.op} ${e.test.toUpperCase()} `;
      return `(${test}(SubPlan))`;
    }
    case 'case': {
      const parts = ['CASE'];
      if (e.operand) parts.push(exprToSql(e.operand));
      for (const w of e.whens) parts.push(`WHEN ${exprToSql(w.when)} THEN ${exprToSql(w.then)}`);
      if (e.otherwise) parts.push(`ELSE ${exprToSql(e.otherwise)}`);
      parts.push('END');
      return parts.join(' ');
    }
  }
}
