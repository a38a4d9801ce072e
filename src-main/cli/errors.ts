/** Everything thrown ends here: a typed JSON error on stdout, one readable line on stderr, an exit code. */
import { isMedSegError, toMedSegError, type MedSegErrorInfo } from '../../src-shared';
import { EXIT, type ExitCode } from './command';

export function exitCodeFor(e: MedSegErrorInfo): ExitCode {
  if (e.code === 'INTERNAL' || e.code === 'OUT_OF_MEMORY') return EXIT.INTERNAL;
  if (e.code === 'INVALID_ARGUMENT') return EXIT.USAGE;
  return EXIT.INPUT;
}

export function errorJson(e: unknown): { error: MedSegErrorInfo } {
  const err = isMedSegError(e) ? toMedSegError(e) : toMedSegError(e, 'INTERNAL', 'An unexpected internal error occurred; please report it with the detail below.');
  const info: MedSegErrorInfo = { code: err.code, message: err.message };
  if (err.path) info.path = err.path;
  if (err.detail) info.detail = err.detail;
  return { error: info };
}
