/**
 * Statements the server answers itself because the SQL layer does not take
 * them (yet): COPY FROM STDIN / TO STDOUT (copy.ts), and VACUUM and ANALYZE,
 * which pgbench -i sends and which have nothing to do here (ariesdb keeps
 * no dead row versions in its heaps and no planner statistics), so they
 * complete at once. Each is a function from the connection to its command tag.
 */
import type { TxnStatus } from '../sql/api.ts';
import type { Backend } from './backend.ts';
import { runCopy } from './copy.ts';
import { isCopy, parseCopy } from './copy-statement.ts';
import type { ReadyStatus } from './messages.ts';
import type { Token } from './sql-text.ts';

export type ServerStatement = (b: Backend) => Promise<string>;

export function serverStatement(text: string, tokens: readonly Token[]): ServerStatement | null {
  if (isCopy(tokens)) return (b) => runCopy(b, parseCopy(text));
  const first = tokens[0]?.kind === 'word' ? tokens[0].value : '';
  if (first === 'vacuum') return async () => 'VACUUM';
  if (first === 'analyze' || first === 'analyse') return async () => 'ANALYZE';
  return null;
}

export const readyStatus = (s: TxnStatus): ReadyStatus => (s === 'idle' ? 'I' : s === 'in-transaction' ? 'T' : 'E');
