/**
 * engine/workspace: never lose work. Journaled strokes, atomic snapshots, crash recovery.
 * Imports src-shared and node built-ins only.
 */
export { Workspace, type WorkspaceMeta, type OpenResult } from './workspace';
export { writeFileAtomic } from './atomic';
export { workspaceDirFor, workspaceKeyFor, medsegHome } from './location';
