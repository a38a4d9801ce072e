/**
 * Builds and runs the `medseg` command line (commander). Exit codes: 0 ok, 2 usage, 3 typed input error,
 * 1 internal. Never prints a stack trace: every failure becomes {"error": {code, message, path}} on stdout.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, type CliCommand, type CliContext, type ExitCode } from './command';
import * as commands from './commands';
import { errorJson, exitCodeFor } from './errors';
import { makeProgress } from './progress';

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIO: CliIO = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function runCli(argv: string[], io: CliIO = defaultIO): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.OK;
  const ctx: CliContext = {
    json: (v) => io.out(JSON.stringify(v, null, 2) + '\n'),
    note: (m) => io.err(m.endsWith('\n') ? m : m + '\n'),
    progress: (total, label) => makeProgress(total, label),
    setExitCode: (c) => {
      exitCode = c;
    },
  };
  const program = new Command('medseg')
    .description('MedSeg Workstation command line: inspect, convert and segment CT/MR volumes')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(add --help for usage)');
  for (const c of Object.values(commands) as CliCommand[]) c.register(program, ctx);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return EXIT.OK;
      // commander has already printed the usage problem on stderr
      io.out(JSON.stringify({ error: { code: 'INVALID_ARGUMENT', message: e.message.replace(/^error: /, '') } }, null, 2) + '\n');
      return EXIT.USAGE;
    }
    const j = errorJson(e);
    io.out(JSON.stringify(j, null, 2) + '\n');
    io.err(`medseg: ${j.error.message}${j.error.path && !j.error.message.includes(j.error.path) ? ` (${j.error.path})` : ''}\n`);
    return exitCodeFor(j.error);
  }
}
