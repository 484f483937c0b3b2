/** The SQL layer's public surface (see api.ts for the result types). */
export { Database } from './database.ts';
export { Session } from './session.ts';
export { formatValue } from './types.ts';
export type { QueryResult, Field, Value, TableInfo, ColumnInfo, DatabaseOptions, TxnStatus, Description } from './api.ts';
