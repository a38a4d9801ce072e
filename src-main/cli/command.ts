/**
 * The seam every `medseg` command plugs into. A command is one file under commands/ exporting a CliCommand;
 * adding one = that file + one line in commands/index.ts. Commands write results through ctx (JSON on stdout,
 * human notes and progress on stderr) and signal failure by throwing MedSegError; main.ts maps errors to exit
 * codes, so no command calls process.exit.
 */
import type { Command } from 'commander';

export const EXIT = { OK: 0, INTERNAL: 1, USAGE: 2, INPUT: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface Progress {
  /** fraction 0..1 of the current task, with a short label */
  update(fraction: number, label?: string): void;
  stop(): void;
}

export interface CliContext {
  /** Machine-readable result on stdout (one JSON document per run). */
  json(value: unknown): void;
  /** Human-readable note on stderr. */
  note(message: string): void;
  /** A progress bar on stderr (drawn only when stderr is a terminal; otherwise silent). */
  progress(total: number, label: string): Progress;
  /** Set the exit code a command ends with when it does not throw (e.g. partial failure). */
  setExitCode(code: ExitCode): void;
}

export interface CliCommand {
  name: string;
  /** Add the sub-command (arguments, options, action) to the program. */
  register(program: Command, ctx: CliContext): void;
}
