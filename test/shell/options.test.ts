import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import { parseBool, parseShellArgs } from '../../src/shell/options.ts';

describe('shell arguments', () => {
  it('defaults', () => {
    const o = parseShellArgs([]);
    expect(o).toMatchObject({ dataDir: './ariesdb-data', settings: {}, actions: [], format: 'aligned', tuplesOnly: false, fieldSep: '|', quiet: false, onErrorStop: false });
  });
  it('-c and -f keep their order and may repeat', () => {
    const o = parseShellArgs(['-c', 'select 1', '-f', 'a.sql', '--command', 'select 2', '--file=-']);
    expect(o.actions).toEqual([
      { kind: 'command', text: 'select 1' },
      { kind: 'file', path: 'a.sql' },
      { kind: 'command', text: 'select 2' },
      { kind: 'file', path: '-' },
    ]);
  });
  it('combined short flags as psql allows: -At, -Atc SQL, -F, and -tF SEP', () => {
    expect(parseShellArgs(['-At'])).toMatchObject({ format: 'unaligned', tuplesOnly: true });
    expect(parseShellArgs(['-Atc', 'select 1']).actions).toEqual([{ kind: 'command', text: 'select 1' }]);
    expect(parseShellArgs(['-F,']).fieldSep).toBe(',');
    expect(parseShellArgs(['-tF', ';'])).toMatchObject({ tuplesOnly: true, fieldSep: ';' });
  });
  it('a command may start with a dash (a -- comment)', () => {
    expect(parseShellArgs(['-c', '-- hi\nselect 1']).actions).toEqual([{ kind: 'command', text: '-- hi\nselect 1' }]);
  });
  it('-X, -q, -v ON_ERROR_STOP, --data, --set', () => {
    const o = parseShellArgs(['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--data', '/tmp/d', '--set', 'shared_buffers=64', '--set', 'synchronous_commit=off']);
    expect(o).toMatchObject({ quiet: true, onErrorStop: true, dataDir: '/tmp/d', settings: { shared_buffers: '64', synchronous_commit: 'off' } });
    expect(parseShellArgs(['-v', 'ON_ERROR_STOP=off']).onErrorStop).toBe(false);
    expect(parseShellArgs(['-v', 'ON_ERROR_STOP']).onErrorStop).toBe(false);
    expect(parseShellArgs(['-v', 'OTHER=1']).onErrorStop).toBe(false);
  });
  it('-h, -p, -U, -d connect to a server; none of them opens the data directory', () => {
    expect(parseShellArgs([]).remote).toBeNull();
    expect(parseShellArgs(['-h', 'db.example', '-p', '5433', '-U', 'ann', '-d', 'shop', '-c', 'select 1'])).toMatchObject({
      remote: { host: 'db.example', port: 5433, user: 'ann', database: 'shop' },
      actions: [{ kind: 'command', text: 'select 1' }],
    });
    expect(parseShellArgs(['-p', '5433']).remote).toEqual({ host: undefined, port: 5433, user: undefined, database: undefined });
    expect(parseShellArgs(['-?']).help).toBe(true);
    expect(parseShellArgs(['--help']).help).toBe(true);
  });
  it('bad usage is a UsageError', () => {
    for (const argv of [['-p', 'x'], ['-p', '70000'], ['-h', 'x', '--data', 'd'], ['-U', 'u', '--set', 'a=b']]) {
      expect(() => parseShellArgs(argv), argv.join(' ')).toThrow(UsageError);
    }
    for (const argv of [['-Z'], ['--bogus'], ['-c'], ['stray'], ['--set', 'novalue'], ['-v', 'ON_ERROR_STOP=maybe']]) {
      expect(() => parseShellArgs(argv), argv.join(' ')).toThrow(UsageError);
    }
  });
  it('booleans as psql reads them', () => {
    expect(['1', 'on', 'ON', 'true', 't', 'yes', 'y'].map(parseBool)).toEqual(Array(7).fill(true));
    expect(['0', 'off', 'of', 'false', 'f', 'no', 'n'].map(parseBool)).toEqual(Array(7).fill(false));
    expect(['o', 'maybe', '2'].map(parseBool)).toEqual([undefined, undefined, undefined]);
  });
});
