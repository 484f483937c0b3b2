/**
 * The interactive shell: node:readline for line editing, history kept in
 * ~/.ariesdb_history (or $ARIESDB_HISTORY), and psql's prompts:
 *
 *   DIR=>   ready for a statement      DIR=*>  inside a transaction
 *   DIR=!>  in a failed transaction    DIR->   statement continues (also ' " $ * ( as psql's %R)
 *
 * Ctrl-C drops the current line and the unfinished statement; Ctrl-D (EOF) quits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { Scanner } from './scanner.ts';
import type { Runner } from './runner.ts';

const HISTORY_SIZE = 500;

export function historyFile(): string {
  return process.env['ARIESDB_HISTORY'] ?? join(homedir(), '.ariesdb_history');
}

function loadHistory(file: string): string[] {
  try {
    // The file holds the oldest entry first; readline wants the newest first.
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

function saveHistory(file: string, history: string[]): void {
  try {
    writeFileSync(file, [...history].reverse().join('\n') + '\n', { mode: 0o600 });
  } catch {
    // An unwritable history file must not break the shell.
  }
}

export function prompt(name: string, scanner: Scanner, runner: Runner): string {
  const status = runner.session.status;
  const x = status === 'in-transaction' ? '*' : status === 'failed' ? '!' : '';
  return `${name}${scanner.promptChar()}${x}> `;
}

/** Runs the REPL until \q or EOF. */
export async function runInteractive(runner: Runner, name: string, version: string): Promise<number> {
  const file = historyFile();
  const rl: Interface = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    history: loadHistory(file),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  rl.on('history', (h: string[]) => saveHistory(file, h));
  const scanner = new Scanner();
  const showPrompt = () => {
    rl.setPrompt(prompt(name, scanner, runner));
    rl.prompt();
  };
  let busy = false;
  rl.on('SIGINT', () => {
    // A running statement cannot be cancelled (the engine has no cancel); it finishes and prints.
    if (busy) return;
    // psql drops the unfinished statement too, not only the line being typed.
    scanner.reset();
    const state = rl as unknown as { line: string; cursor: number };
    state.line = '';
    state.cursor = 0;
    process.stdout.write('\n');
    showPrompt();
  });
  if (!runner.opts.quiet) process.stdout.write(`ariesdb shell (${version})\nType "\\?" for help.\n\n`);
  showPrompt();
  let status: number | undefined;
  for await (const line of rl) {
    for (const piece of scanner.push(line)) {
      busy = true;
      const outcome = piece.kind === 'sql' ? await runner.runSql(piece.text) : await runner.runMeta(piece.text, scanner);
      busy = false;
      // A FATAL error means the database is gone: like psql whose connection is lost, stop with 2.
      if (outcome === 'quit' || outcome === 'fatal') status = outcome === 'quit' ? 0 : 2;
      if (status !== undefined) break;
    }
    if (status !== undefined) break;
    showPrompt();
  }
  if (status === undefined) process.stdout.write('\\q\n'); // psql echoes \q when the input ends (Ctrl-D)
  rl.close();
  return status ?? 0;
}
