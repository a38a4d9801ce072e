/**
 * Every `medseg` sub-command: each export here is a CliCommand (program.ts registers them all, in this order).
 * Adding a command = a new file in this folder + one export line here.
 */
export { infoCommand } from './info';
export { convertCommand } from './convert';
export { segmentCommand } from './segment';
export { applyCommand } from './apply';
export { benchCommand } from './bench';
export { benchReportCommand } from './bench-report';
export { benchIoCommand } from './bench-io';
