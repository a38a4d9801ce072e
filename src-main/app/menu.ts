/**
 * The application menu. Items do not reach into the UI: each one either opens a native dialog (whose choice is
 * granted, then sent) or sends a typed AppCommand that the renderer handles like its own toolbar would.
 */
import { basename } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { AppCommand, OpenDialogRequest, RecentItem, ViewLayout } from '../../src-shared';

export interface MenuActions {
  /** Deliver a command to the focused window's page. */
  send(command: AppCommand): void;
  /** Show the open dialog; resolves with granted paths ([] when cancelled). */
  chooseAndGrant(request: OpenDialogRequest): Promise<string[]>;
  /** Grant a path the user picked from the recent list. */
  grantRecent(path: string): void;
  /** Log failures of menu actions (they have no page promise to reject). */
  log(message: string): void;
}

export interface MenuContext {
  platform: NodeJS.Platform;
  appName: string;
  recent: RecentItem[];
  /** Developer tools only when not packaged. */
  dev: boolean;
}

const LAYOUT_LABELS: Record<ViewLayout, string> = {
  single: 'Single view',
  mpr: 'Three planes (MPR)',
  mpr3d: 'Three planes and 3D',
};
const LAYOUT_KEYS: Record<ViewLayout, string> = { single: 'CmdOrCtrl+1', mpr: 'CmdOrCtrl+2', mpr3d: 'CmdOrCtrl+3' };

export function buildMenuTemplate(ctx: MenuContext, actions: MenuActions): MenuItemConstructorOptions[] {
  const openWith = (request: OpenDialogRequest) => () => {
    actions.chooseAndGrant(request).then(
      (paths) => {
        if (paths.length > 0) actions.send({ type: 'open', paths });
      },
      (e: unknown) => actions.log(`open dialog failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  const send = (command: AppCommand) => () => actions.send(command);

  const recentItems: MenuItemConstructorOptions[] =
    ctx.recent.length === 0
      ? [{ label: 'No recent studies', enabled: false }]
      : ctx.recent.slice(0, 10).map((item) => ({
          label: item.description || basename(item.path),
          toolTip: item.path,
          click: () => {
            actions.grantRecent(item.path);
            actions.send({ type: 'open', paths: [item.path] });
          },
        }));

  const isMac = ctx.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [];
  if (isMac) template.push({ label: ctx.appName, submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'quit' }] });
  template.push(
    {
      label: 'File',
      submenu: [
        { label: 'Open Images…', accelerator: 'CmdOrCtrl+O', click: openWith({ kind: 'files' }) },
        { label: 'Open DICOM Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: openWith({ kind: 'folder' }) },
        { label: 'Open Recent', submenu: recentItems },
        { type: 'separator' },
        {
          label: 'Export Segmentation',
          submenu: [
            { label: 'DICOM SEG…', accelerator: 'CmdOrCtrl+E', click: send({ type: 'export', format: 'dicom-seg' }) },
            { label: 'NIfTI…', click: send({ type: 'export', format: 'nifti' }) },
            { label: 'NRRD…', click: send({ type: 'export', format: 'nrrd' }) },
          ],
        },
        { type: 'separator' },
        { label: 'Close Study', accelerator: 'CmdOrCtrl+W', click: send({ type: 'closeVolume' }) },
        ...(isMac ? [] : [{ type: 'separator' } as const, { role: 'quit' } as const]),
      ],
    },
    {
      label: 'Edit',
      submenu: [
        // Labels are undone in the engine (voxel diffs), so these are commands, not the text-field roles.
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: send({ type: 'undo' }) },
        { label: 'Redo', accelerator: isMac ? 'Cmd+Shift+Z' : 'Ctrl+Y', click: send({ type: 'redo' }) },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
      ],
    },
    {
      label: 'View',
      submenu: [
        ...(Object.keys(LAYOUT_LABELS) as ViewLayout[]).map(
          (layout): MenuItemConstructorOptions => ({
            label: LAYOUT_LABELS[layout],
            accelerator: LAYOUT_KEYS[layout],
            click: send({ type: 'layout', layout }),
          }),
        ),
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(ctx.dev ? [{ type: 'separator' } as const, { role: 'toggleDevTools' } as const] : []),
      ],
    },
    {
      label: 'Help',
      submenu: [
        { label: 'Keyboard Shortcuts', accelerator: 'F1', click: send({ type: 'help', topic: 'shortcuts' }) },
        { label: `About ${ctx.appName}`, click: send({ type: 'help', topic: 'about' }) },
      ],
    },
  );
  return template;
}
