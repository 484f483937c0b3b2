/**
 * Settings, named and spelled as PostgreSQL's where PostgreSQL has them.
 * Values are kept as canonical text (what SHOW prints) and parsed where used.
 *
 * Context says when a change takes effect: 'init' only when the data
 * directory is created, 'restart' at open (`--set`), 'runtime' any time
 * (`SET` or `--set`).
 */
import { DbError } from '../errors/index.ts';

type Context = 'init' | 'restart' | 'runtime';
type Unit = 'bytes' | 'pages' | 'ms' | 'bool' | 'enum' | 'text';

interface SettingDef {
  context: Context;
  unit: Unit;
  default: string;
  min?: number;
  max?: number;
  values?: string[];
  description: string;
}

const defs: Record<string, SettingDef> = {
  shared_buffers: { context: 'restart', unit: 'pages', default: '512MB', min: 16, max: 1 << 22, description: 'Buffer pool size.' },
  synchronous_commit: {
    context: 'runtime', unit: 'enum', default: 'on',
    values: ['on', 'off', 'local', 'remote_write', 'remote_apply'],
    description: 'Whether COMMIT waits for its WAL record to reach the disk.',
  },
  checkpoint_timeout: { context: 'runtime', unit: 'ms', default: '5min', min: 1000, max: 86_400_000, description: 'Time between automatic checkpoints.' },
  max_wal_size: { context: 'runtime', unit: 'bytes', default: '1GB', min: 64 * 1024, max: 2 ** 50, description: 'WAL volume that triggers a checkpoint.' },
  wal_segment_size: { context: 'init', unit: 'bytes', default: '16MB', min: 64 * 1024, max: 1 << 30, description: 'Size of each WAL segment file.' },
  wal_writer_delay: { context: 'runtime', unit: 'ms', default: '200ms', min: 1, max: 10_000, description: 'How often WAL of asynchronous commits is flushed.' },
  full_page_writes: { context: 'runtime', unit: 'bool', default: 'on', description: 'Log a page\'s full image before writing it to the data file, once per checkpoint cycle.' },
  wal_sync_poll: {
    context: 'runtime', unit: 'bool', default: 'on',
    description: 'Whether a commit waiting for fdatasync on the main thread has a helper thread do it while polling, instead of sleeping (faster on virtual machines, uses more CPU; needs two CPUs).',
  },
  lock_timeout: { context: 'runtime', unit: 'ms', default: '0', min: 0, max: 2 ** 31, description: 'Longest wait for a row lock (0: forever).' },
  statement_timeout: { context: 'runtime', unit: 'ms', default: '0', min: 0, max: 2 ** 31 - 1, description: 'Longest run of a statement (0: forever).' },
  log_checkpoints: { context: 'runtime', unit: 'bool', default: 'off', description: 'Print a line for each checkpoint.' },
};

export function isEngineSetting(name: string): boolean {
  return name in defs;
}

export function settingNames(): string[] {
  return Object.keys(defs).sort();
}

/** When a setting can change: while the engine runs, at start, or only when the data directory is made. */
export function settingContext(name: string): Context | undefined {
  return defs[name]?.context;
}

export function settingDescription(name: string): string {
  return defs[name]?.description ?? '';
}

const byteUnits: Record<string, number> = { b: 1, B: 1, kb: 1024, kB: 1024, mb: 1 << 20, MB: 1 << 20, gb: 1 << 30, GB: 1 << 30, tb: 2 ** 40, TB: 2 ** 40 };
const timeUnits: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

function invalid(name: string, value: string, hint?: string): DbError {
  return new DbError('invalid_parameter_value', `invalid value for parameter "${name}": "${value}"`, hint ? { hint } : {});
}

/** Parses a setting's text to a number in its base unit (bytes, pages, ms), or a boolean/enum string. */
export function parseSetting(name: string, value: string): number | string | boolean {
  const d = defs[name];
  if (!d) throw new DbError('undefined_object', `unrecognized configuration parameter "${name}"`);
  const v = value.trim();
  switch (d.unit) {
    case 'bool': {
      const l = v.toLowerCase();
      if (['on', 'true', 'yes', '1', 't', 'y'].includes(l)) return true;
      if (['off', 'false', 'no', '0', 'f', 'n'].includes(l)) return false;
      throw invalid(name, value, 'Valid values are "on" and "off".');
    }
    case 'enum': {
      const l = v.toLowerCase();
      if (!d.values!.includes(l)) throw invalid(name, value, `Available values: ${d.values!.join(', ')}.`);
      return l;
    }
    case 'text':
      return v;
    default: {
      const m = /^(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(v);
      if (!m) throw invalid(name, value);
      const n = Number(m[1]);
      const unit = m[2]!;
      let out: number;
      if (d.unit === 'ms') {
        const mult = unit === '' ? (name === 'checkpoint_timeout' ? 1000 : 1) : timeUnits[unit];
        if (mult === undefined) throw invalid(name, value, 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".');
        out = n * mult;
      } else {
        const mult = unit === '' ? (d.unit === 'pages' ? 8192 : name === 'max_wal_size' ? 1 << 20 : 1) : byteUnits[unit];
        if (mult === undefined) throw invalid(name, value, 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".');
        out = n * mult;
        if (d.unit === 'pages') out = Math.floor(out / 8192);
      }
      if ((d.min !== undefined && out < d.min) || (d.max !== undefined && out > d.max)) {
        throw new DbError('invalid_parameter_value', `${value} is outside the valid range for parameter "${name}"`);
      }
      return out;
    }
  }
}

export class Settings {
  private readonly values = new Map<string, string>();
  /** Parsed values, dropped on set (num() runs on every commit). */
  private readonly parsed = new Map<string, number | string | boolean>();

  constructor(initial: Record<string, string> = {}) {
    for (const [k, d] of Object.entries(defs)) this.values.set(k, d.default);
    for (const [k, v] of Object.entries(initial)) this.set(k, v, 'startup');
  }

  set(name: string, value: string, when: 'startup' | 'runtime'): void {
    const d = defs[name];
    if (!d) throw new DbError('undefined_object', `unrecognized configuration parameter "${name}"`);
    parseSetting(name, value);
    if (when === 'runtime' && d.context !== 'runtime') {
      throw new DbError('cant_change_runtime_param', `parameter "${name}" cannot be changed without restarting the server`);
    }
    this.values.set(name, d.unit === 'bool' ? ((parseSetting(name, value) as boolean) ? 'on' : 'off') : value.trim());
    this.parsed.delete(name);
  }

  private parsedValue(name: string): number | string | boolean {
    let v = this.parsed.get(name);
    if (v === undefined) {
      v = parseSetting(name, this.get(name));
      this.parsed.set(name, v);
    }
    return v;
  }

  get(name: string): string {
    const v = this.values.get(name);
    if (v === undefined) throw new DbError('undefined_object', `unrecognized configuration parameter "${name}"`);
    return v;
  }

  num(name: string): number {
    return this.parsedValue(name) as number;
  }

  bool(name: string): boolean {
    return this.parsedValue(name) as boolean;
  }
}
