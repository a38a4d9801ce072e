/**
 * Write a volume or label map by file extension (.nii, .nii.gz, .nrrd), geometry intact. Never overwrites an
 * existing file unless asked, and writes through a temporary file so a failed write leaves no half file.
 */
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { MedSegError, type Grid, type VolumeMeta, type VoxelArray } from '../../src-shared';
import { writeNifti } from './nifti/write';
import { writeNrrd } from './nrrd/write';

export type WritableVolume = Grid & { data: VoxelArray; meta?: VolumeMeta };

export interface WriteOptions {
  /** Replace an existing file (the CLI's --force). Default false: FILE_EXISTS. */
  overwrite?: boolean;
}

export const WRITE_EXTENSIONS = ['.nii.gz', '.nii', '.nrrd'] as const;

export function outputFormat(path: string): 'nii.gz' | 'nii' | 'nrrd' | null {
  const p = path.toLowerCase();
  if (p.endsWith('.nii.gz')) return 'nii.gz';
  if (p.endsWith('.nii')) return 'nii';
  if (p.endsWith('.nrrd')) return 'nrrd';
  return null;
}

export async function encodeVolume(v: WritableVolume, path: string): Promise<Uint8Array> {
  const fmt = outputFormat(path);
  if (!fmt) {
    throw new MedSegError('INVALID_ARGUMENT', `Cannot write "${path}": the file name must end in ${WRITE_EXTENSIONS.join(', ')}.`, { path });
  }
  const input = { ...v, description: v.meta?.seriesDescription };
  return fmt === 'nrrd' ? writeNrrd(input) : writeNifti(input, fmt === 'nii.gz');
}

export async function writeVolume(v: WritableVolume, path: string, opts: WriteOptions = {}): Promise<void> {
  if (v.data.length !== v.dims[0] * v.dims[1] * v.dims[2]) {
    throw new MedSegError('INVALID_ARGUMENT', `Cannot write "${path}": the voxel data does not match the image size ${v.dims.join('×')}.`, { path });
  }
  const bytes = await encodeVolume(v, path);
  if (!opts.overwrite && (await exists(path))) {
    throw new MedSegError('FILE_EXISTS', `${path} already exists and was not overwritten. Choose another name or confirm replacing it.`, { path });
  }
  const tmp = `${path}.${process.pid}.${Date.now()}.part`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new MedSegError('WRITE_FAILED', `Could not write ${path} (${(e as { code?: string }).code ?? 'error'}): check that the folder exists and is writable, and that the disk has space.`, { path, detail: String((e as Error)?.message ?? e), cause: e });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
