/**
 * `medseg` entry (built to out/main/cli.js, run by bin/medseg.js). Plain Node, no Electron. cli/ builds on
 * engine/ and io/ through their index files and never imports app/ or bridge/.
 */
import { runCli } from './program';

process.on('uncaughtException', (e) => {
  // last resort: still a typed JSON error, never a stack trace
  process.stdout.write(JSON.stringify({ error: { code: 'INTERNAL', message: 'An unexpected internal error occurred.', detail: String((e as Error)?.message ?? e) } }) + '\n');
  process.exit(1);
});

runCli(process.argv).then((code) => {
  process.exitCode = code;
});
