/**
 * Statements the server answers itself because the SQL layer does not take
 * them: COPY FROM STDIN / TO STDOUT (copy.ts), which exchange rows with the
 * client while they run. Each is a function from the connection to its
 * command tag. (VACUUM and ANALYZE, which pgbench -i sends, are the SQL
 * layer's: they check their names and have nothing else to do.)
 */
import type { TxnStatus } from '../sql/api.ts';
import type { Backend } from './backend.ts';
import { runCopy } from './copy.ts';
import { isCopy, parseCopy } from './copy-statement.ts';
import type { ReadyStatus } from './messages.ts';
import type { Token } from './sql-text.ts';

export type ServerStatement = (b: Backend) => Promise<string>;

export function serverStatement(text: string, tokens: readonly Token[]): ServerStatement | null {
  return isCopy(tokens) ? (b) => runCopy(b, parseCopy(text)) : null;
}

export const readyStatus = (s: TxnStatus): ReadyStatus => (s === 'idle' ? 'I' : s === 'in-transaction' ? 'T' : 'E');
