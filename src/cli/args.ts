/**
 * Argument handling shared by the commands: node:util's parseArgs with the
 * options every command that opens a data directory takes (--data DIR,
 * repeatable --set name=value), and one error type for bad usage so main.ts
 * can answer every mistake with a message and exit status 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const DEFAULT_DATA_DIR = './ariesdb-data';

/** Bad command-line usage: printed with a hint, exit status 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command = '') {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export const dataDirOptions = {
  data: { type: 'string' },
  set: { type: 'string', multiple: true },
} as const satisfies Options;

/** parseArgs with strict checking, its errors turned into UsageErrors naming `command`. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: joinValues(argv, options), options, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    throw new UsageError(cleanParseError(e), command);
  }
}

/**
 * Glues each value-taking option to its value (`-c X` → `--command=X`), since
 * parseArgs refuses a value that starts with "-" and SQL may well start with
 * a "--" comment. Short groups ending in such an option (`-Atc X`) too.
 */
function joinValues(argv: string[], options: Options): string[] {
  const byShort = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const takesValue = (name: string | undefined) => name !== undefined && options[name]?.type === 'string';
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { out.push(...argv.slice(i)); break; }
    const long = /^--([^=]+)$/.exec(arg)?.[1];
    const group = /^-([A-Za-z0-9?]+)$/.exec(arg)?.[1];
    const lastShort = group ? byShort.get(group[group.length - 1]!) : undefined;
    if (i + 1 < argv.length && long !== undefined && takesValue(long)) {
      out.push(`--${long}=${argv[++i]}`);
    } else if (i + 1 < argv.length && group && takesValue(lastShort)) {
      if (group.length > 1) out.push(`-${group.slice(0, -1)}`);
      out.push(`--${lastShort}=${argv[++i]}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

// parseArgs messages carry advice meant for programmers ("To specify a positional argument starting with a '-'..."); keep the first sentence.
function cleanParseError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('. ')[0]!.replace(/\.$/, '');
}

/** `--set name=value` list → the settings record DatabaseOptions wants. */
export function parseSettings(sets: string[] | undefined, command: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const s of sets ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects name=value, got "${s}"`, command);
    settings[s.slice(0, eq).trim()] = s.slice(eq + 1);
  }
  return settings;
}
