/**
 * The desktop service: native open/save dialogs and dropped-file paths. Whatever the user picks here is the
 * only thing added to the path allow-list.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { OpenDialogOptions, OpenDialogReturnValue, SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import { z } from 'zod';
import { EXPORT_FORMATS, MedSegError, type ExportFormat, type OpenDialogRequest, type SaveDialogRequest } from '../../src-shared';
import type { DesktopHandlers } from './ipc';
import type { PathGrants } from './path-grants';

/** Electron's dialog module, already bound to the parent window (so fakes need no window). */
export interface DialogApi {
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
}

const MAX_DROPPED = 10_000;

const openRequest = z.tuple([
  z.object({ kind: z.enum(['files', 'folder', 'model']), title: z.string().max(200).optional() }).strict(),
]);
const saveRequest = z.tuple([
  z
    .object({
      format: z.enum(EXPORT_FORMATS),
      // A name only: a folder part would let the page pick where the dialog starts writing.
      defaultName: z.string().min(1).max(255).refine((n) => !/[\\/]/.test(n) && n !== '..', 'must be a file name without folders').optional(),
      title: z.string().max(200).optional(),
    })
    .strict(),
]);
const droppedPaths = z.tuple([z.array(z.string().min(1).max(4096)).max(MAX_DROPPED)]);

function parse<T>(schema: z.ZodType<T>, args: unknown[], what: string): T {
  const r = schema.safeParse(args);
  if (!r.success) {
    throw new MedSegError('INVALID_ARGUMENT', `Invalid request to ${what}: ${r.error.issues[0]?.message ?? 'bad arguments'}.`, {
      detail: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    });
  }
  return r.data;
}

export const IMAGE_EXTENSIONS = ['dcm', 'ima', 'nii', 'gz', 'nrrd', 'nhdr', 'mgh', 'mgz'];

export function openDialogOptions(request: OpenDialogRequest): OpenDialogOptions {
  switch (request.kind) {
    case 'folder':
      return { title: request.title ?? 'Open DICOM folder', properties: ['openDirectory'] };
    case 'model':
      return { title: request.title ?? 'Import DINOv2 model', properties: ['openFile'], filters: [{ name: 'ONNX model', extensions: ['onnx'] }] };
    case 'files':
      return {
        title: request.title ?? 'Open images',
        properties: ['openFile', 'multiSelections'],
        // DICOM files often have no extension at all, hence "All files".
        filters: [{ name: 'Medical images', extensions: IMAGE_EXTENSIONS }, { name: 'All files', extensions: ['*'] }],
      };
  }
}

const SAVE_FILTERS: Record<ExportFormat, { name: string; extensions: string[]; suffix: string }> = {
  'dicom-seg': { name: 'DICOM Segmentation', extensions: ['dcm'], suffix: '.dcm' },
  nifti: { name: 'NIfTI', extensions: ['nii.gz', 'nii'], suffix: '.nii.gz' },
  nrrd: { name: 'NRRD', extensions: ['seg.nrrd', 'nrrd'], suffix: '.seg.nrrd' },
  head: { name: 'MedSeg trained model', extensions: ['head.json', 'json'], suffix: '.head.json' },
};

export function saveDialogOptions(request: SaveDialogRequest): SaveDialogOptions {
  const f = SAVE_FILTERS[request.format];
  return {
    title: request.title ?? (request.format === 'head' ? 'Save trained model' : 'Export segmentation'),
    defaultPath: request.defaultName ?? `${request.format === 'head' ? 'model' : 'segmentation'}${f.suffix}`,
    filters: [{ name: f.name, extensions: f.extensions }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
}

export function createDesktopHandlers(dialog: DialogApi, grants: PathGrants): DesktopHandlers {
  return {
    async showOpenDialog(args) {
      const [request] = parse(openRequest, args, 'the open dialog');
      const result = await dialog.showOpenDialog(openDialogOptions(request));
      if (result.canceled) return [];
      return result.filePaths.map((p) => grants.grant(p, 'read'));
    },
    async showSaveDialog(args) {
      const [request] = parse(saveRequest, args, 'the save dialog');
      const result = await dialog.showSaveDialog(saveDialogOptions(request));
      if (result.canceled || !result.filePath) return null;
      return grants.grant(result.filePath, 'write');
    },
    async pathsForDroppedFiles(args) {
      // The preload turned the dropped File objects into paths with webUtils; files made up in JS have none.
      const [paths] = parse(droppedPaths, args, 'the dropped files');
      const real = paths.filter((p) => isAbsolute(p) && existsSync(p));
      if (paths.length > 0 && real.length === 0) {
        throw new MedSegError('FILE_NOT_FOUND', 'The dropped items are not files on this computer.');
      }
      return real.map((p) => grants.grant(p, 'read'));
    },
  };
}
