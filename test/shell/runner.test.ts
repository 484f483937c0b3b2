import { describe, expect, it } from 'vitest';
import { DbError } from '../../src/errors/index.ts';
import { Runner, formatTiming, metaArgs, type Io } from '../../src/shell/runner.ts';
import { parseShellArgs } from '../../src/shell/options.ts';
import { Scanner } from '../../src/shell/scanner.ts';
import { FakeSession } from './fake-session.ts';
import { asAriesdb, golden } from './goldens.ts';

function setup(argv: string[] = [], interactive = false) {
  const io = { stdout: '', stderr: '' };
  const sink: Io = { out: (s) => void (io.stdout += s), err: (s) => void (io.stderr += s) };
  const session = new FakeSession();
  const runner = new Runner(session, parseShellArgs(argv), sink, interactive);
  return { io, session, runner };
}

async function* linesOf(text: string) {
  yield* text.replace(/\n$/, '').split('\n');
}

/** Runs -c actions as shell/main.ts does: the status is that of the last one. */
async function commands(argv: string[]) {
  const s = setup(argv);
  let status = 0;
  for (const a of s.runner.opts.actions) {
    if (a.kind !== 'command') continue;
    const outcome = await s.runner.runCommand(a.text);
    status = outcome === 'ok' ? 0 : 1;
    if (status !== 0 && s.runner.opts.onErrorStop) break;
  }
  return { ...s.io, status };
}

describe('-c commands as psql 15 runs them', () => {
  it('a failing statement inside one -c stops that string; earlier results are printed', async () => {
    const g = golden('multiStatementError');
    expect(await commands(g.args)).toEqual({ stdout: g.stdout, stderr: g.stderr, status: g.status });
  });
  it('the exit status is that of the last -c', async () => {
    for (const name of ['lastCommandWins', 'lastCommandFails', 'onErrorStopCommand']) {
      const g = golden(name);
      expect(await commands(g.args), name).toEqual({ stdout: g.stdout, stderr: g.stderr, status: g.status });
    }
  });
  it('an unknown meta-command fails', async () => {
    const g = golden('invalidMeta');
    expect(await commands(g.args)).toEqual({ stdout: g.stdout, stderr: g.stderr, status: g.status });
  });
  it('\\timing toggles and reports', async () => {
    const g = golden('timingToggle');
    expect(await commands(g.args)).toEqual({ stdout: g.stdout, stderr: g.stderr, status: g.status });
  });
});

describe('scripts as psql 15 runs them', () => {
  for (const name of ['scriptStdin', 'scriptStdinStop', 'scriptFileStdin', 'scriptFileStdinStop']) {
    it(name, async () => {
      const g = golden(name);
      const { io, runner } = setup(g.args.filter((a) => a !== '-f' && a !== '-'));
      const status = await runner.runScript(linesOf(g.input!), g.args.includes('-f') ? '<stdin>' : undefined);
      expect({ ...io, status }).toEqual({ stdout: g.stdout, stderr: asAriesdb(g.stderr), status: g.status });
    });
  }
  it('\\set ON_ERROR_STOP inside a script', async () => {
    const { io, runner } = setup();
    const status = await runner.runScript(linesOf('\\set ON_ERROR_STOP on\nselect * from nosuch;\nselect 1 as a;\n'), 'x.sql');
    expect(status).toBe(3);
    expect(io.stdout).toBe('');
  });
  it('\\q ends a script', async () => {
    const { io, runner } = setup();
    expect(await runner.runScript(linesOf('select 1 as a;\n\\q\nselect 2 as b;\n'))).toBe('quit');
    expect(io.stdout).toBe(' a \n---\n 1\n(1 row)\n\n');
  });
  it('prints each result before the next statement starts', async () => {
    const { io, runner, session } = setup();
    const seen: string[] = [];
    const queryEach = session.queryEach.bind(session);
    session.queryEach = async (sql, cb) => {
      seen.push(io.stdout);
      return queryEach(sql, cb);
    };
    await runner.runScript(linesOf('select 1 as a;\nselect pg_sleep(60);\n'));
    expect(seen[1]).toBe(' a \n---\n 1\n(1 row)\n\n');
  });
});

describe('meta-commands', () => {
  it('an unknown meta-command fails; in a script with the file prefix', async () => {
    const { io, runner } = setup();
    expect(await runner.runMeta('\\foo', new Scanner(), { file: 'x.sql', line: 4 })).toBe('error');
    expect(io.stderr).toContain('ariesdb:x.sql:4: error: invalid command \\foo\n');
  });
  it('interactive mode adds a hint to an invalid command', async () => {
    const { io, runner } = setup([], true);
    await runner.runMeta('\\foo', new Scanner());
    expect(io.stderr).toBe('invalid command \\foo\nTry \\? for help.\n');
  });
  it('\\g runs the query buffer, \\r clears it', async () => {
    const { io, runner } = setup();
    const s = new Scanner();
    s.push('select 7 as n');
    await runner.runMeta('\\g', s);
    s.push('select 8 as n');
    await runner.runMeta('\\r', s);
    expect(io.stdout).toBe(' n \n---\n 7\n(1 row)\n\nQuery buffer reset (cleared).\n');
    expect(s.pending).toBe('');
  });
  it('arguments split at blanks outside quotes', () => {
    expect(metaArgs('d "My Table"  x')).toEqual(['d', '"My Table"', 'x']);
  });
});

describe('timing', () => {
  it('formats as psql PrintTiming', () => {
    expect(formatTiming(0.1234)).toBe('Time: 0.123 ms\n');
    expect(formatTiming(61234.6)).toBe('Time: 61234.600 ms (01:01.235)\n');
    expect(formatTiming(3723000)).toBe('Time: 3723000.000 ms (01:02:03.000)\n');
    expect(formatTiming(90000000)).toBe('Time: 90000000.000 ms (1 d 01:00:00.000)\n');
  });
});

describe('notices', () => {
  it('print on stderr, with the script prefix', async () => {
    const { io, runner, session } = setup();
    const queryEach = session.queryEach.bind(session);
    session.queryEach = async (sql, cb) => {
      session.onNotice?.(new DbError('warning', 'there is already a transaction in progress', { severity: 'WARNING' }));
      return queryEach(sql, cb);
    };
    await runner.runScript(linesOf('begin;\n'), '/tmp/w.sql');
    await runner.runSql('begin');
    expect(io.stderr).toBe('ariesdb:/tmp/w.sql:1: WARNING:  there is already a transaction in progress\nWARNING:  there is already a transaction in progress\n');
  });
});
