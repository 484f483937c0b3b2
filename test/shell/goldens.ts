/**
 * What real psql 15 printed for each case (regenerate with psql-goldens.mjs
 * against a throwaway PostgreSQL). The shell's tests feed the same data to
 * ariesdb's formatters and expect the same bytes.
 */
import { readFileSync } from 'node:fs';

export interface Golden {
  args: string[];
  /** What was fed to psql's stdin, if anything. */
  input?: string;
  stdout: string;
  stderr: string;
  status: number;
}

export const goldens = JSON.parse(readFileSync(new URL('./psql-goldens.json', import.meta.url), 'utf8')) as Record<string, Golden>;

export function golden(name: string): Golden {
  const g = goldens[name];
  if (!g) throw new Error(`no golden named ${name}`);
  return g;
}

/** psql names itself in script error prefixes ("psql:FILE:LINE: "); ariesdb names itself. */
export const asAriesdb = (s: string): string => s.replace(/^psql:/gm, 'ariesdb:');
