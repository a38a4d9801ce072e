/**
 * Writes a synthetic single-frame CT series (uncompressed Explicit VR Little Endian, one file per slice) for
 * benchmarks and tests. Encoded by dcmjs; geometry is axial LPS with the given spacing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Vec3 } from '../../../src-shared';
import { newUid } from './uids';
import { dcmjsSeg } from '../seg/dcmjs-seg';

export interface SyntheticSeriesOptions {
  dims: Vec3;
  spacing: Vec3;
  origin?: Vec3;
  /** HU per voxel (i fastest), Int16; default: a noisy body ellipse in air. */
  data?: Int16Array;
  /** Write slices in shuffled file order (readers must sort by position). */
  shuffle?: boolean;
}

export async function writeSyntheticCtSeries(dir: string, o: SyntheticSeriesOptions): Promise<string[]> {
  const [nx, ny, nz] = o.dims;
  const origin = o.origin ?? [-(nx * o.spacing[0]) / 2, -(ny * o.spacing[1]) / 2, 0];
  await mkdir(dir, { recursive: true });
  const api = dcmjsSeg().data;
  const study = newUid(), series = newUid(), frame = newUid();
  const files: string[] = [];
  const order = Array.from({ length: nz }, (_, k) => k);
  if (o.shuffle) order.sort((a, b) => ((a * 2654435761) % 977) - ((b * 2654435761) % 977));
  const slice = new Uint16Array(nx * ny); // stored value = HU + 1024
  for (const [fileNo, k] of order.entries()) {
    for (let j = 0, n = 0; j < ny; j++) for (let i = 0; i < nx; i++, n++) {
      let hu: number;
      if (o.data) hu = o.data[k * nx * ny + n];
      else {
        const x = (i - nx / 2) / (nx * 0.4), y = (j - ny / 2) / (ny * 0.3);
        hu = x * x + y * y < 1 ? 40 + (((n + k * 7919) * 2654435761) >>> 27) : -1000;
      }
      slice[n] = Math.max(0, Math.min(65535, hu + 1024));
    }
    const sop = newUid();
    const ds = {
      SpecificCharacterSet: 'ISO_IR 192',
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      SOPInstanceUID: sop,
      Modality: 'CT',
      PatientName: 'Synthetic^Series',
      PatientID: 'SYNTH',
      StudyInstanceUID: study,
      SeriesInstanceUID: series,
      FrameOfReferenceUID: frame,
      SeriesDescription: `Synthetic ${nx}x${ny}x${nz}`,
      SeriesNumber: 1,
      InstanceNumber: fileNo + 1,
      ImagePositionPatient: [origin[0], origin[1], origin[2] + k * o.spacing[2]],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      PixelSpacing: [o.spacing[1], o.spacing[0]],
      SliceThickness: o.spacing[2],
      Rows: ny,
      Columns: nx,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 0,
      RescaleIntercept: -1024,
      RescaleSlope: 1,
      WindowCenter: 40,
      WindowWidth: 400,
      PixelData: slice.slice().buffer,
      _vrMap: { PixelData: 'OW' },
    };
    const meta = {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: ds.SOPClassUID,
      MediaStorageSOPInstanceUID: sop,
      TransferSyntaxUID: '1.2.840.10008.1.2.1',
      ImplementationClassUID: '2.25.284727346221137838498471137346563582870',
    };
    const dict = new api.DicomDict(api.DicomMetaDictionary.denaturalizeDataset(meta));
    dict.dict = api.DicomMetaDictionary.denaturalizeDataset(ds);
    const f = join(dir, `IM${String(fileNo + 1).padStart(5, '0')}.dcm`);
    await writeFile(f, new Uint8Array(dict.write()));
    files.push(f);
  }
  return files;
}
