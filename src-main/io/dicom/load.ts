/** A scanned image entry → Volume: decode every frame into its k slice, rescale, pick the voxel type. */
import { MedSegError, defaultWindow, type Volume, type VolumeMeta } from '../../../src-shared';
import type { LoadOptions, SeriesEntry } from '../types';
import { decodeFrame } from './decode';
import { imageInfo, type FrameInfo } from './frames';
import { stackGeometry } from './geometry';
import { readDicomFile } from './parse';
import { frameValues } from './pixels';
import { isImageHandle } from './scan';
import { TS, TS_NAMES, isNativeSyntax } from './uids';

const LOSSY = new Set<string>([TS.jpegBaseline, TS.jpegExtended, TS.jpegLsNear, TS.j2k]);

export async function loadDicom(entry: SeriesEntry, opts: LoadOptions = {}): Promise<Volume> {
  if (entry.kind !== 'image') {
    const what = entry.kind === 'seg' ? 'a segmentation' : entry.kind === 'rtstruct' ? 'an RT structure set' : `a non-image DICOM object (${entry.modality})`;
    throw new MedSegError('NOT_AN_IMAGE', `“${entry.description}” is ${what}, not an image; open the image series it belongs to instead.`, { path: entry.files[0] });
  }
  const h = entry.handle;
  if (!isImageHandle(h)) throw new MedSegError('INVALID_ARGUMENT', 'This series entry did not come from a DICOM scan; scan the folder again.', { path: entry.files[0] });
  const modality = h.series.modality;
  const geo = stackGeometry(h.frames, modality);
  const frames = geo.frames;
  const first = h.images[frames[0].file];
  const nx = first.columns, ny = first.rows, nz = frames.length;
  const pixels = nx * ny;
  // Decode straight into Int16 while every slice is integral and fits (CT, most MR): peak memory stays near the
  // voxel bytes. The first slice that does not fit switches the whole volume to Float32.
  let out16: Int16Array | null = new Int16Array(pixels * nz);
  let out32: Float32Array | null = null;
  const slice = new Float32Array(pixels);
  const warnings = [...entry.warnings, ...geo.warnings];

  // Read each file once, even when it holds many of the frames (enhanced multi-frame).
  const byFile = new Map<string, { k: number; frame: FrameInfo }[]>();
  frames.forEach((frame, k) => {
    const list = byFile.get(frame.file) ?? [];
    list.push({ k, frame });
    byFile.set(frame.file, list);
  });

  let done = 0, min = Infinity, max = -Infinity;
  const syntaxes = new Set<string>();
  let rgb = false, mono1 = false, mono1Kept = false;
  for (const [file, list] of byFile) {
    if (opts.signal?.aborted) throw new MedSegError('CANCELLED', 'Opening the series was cancelled.');
    const parsed = await readDicomFile(file, false);
    const info = imageInfo(parsed.dataset, parsed.transferSyntax);
    if (!info) throw new MedSegError('DICOM_MISSING_PIXELS', 'This DICOM file no longer describes an image.', { path: file });
    if (info.rows !== ny || info.columns !== nx) {
      throw new MedSegError('DICOM_INCONSISTENT', 'The images of this series have different sizes; rescan the folder.', { path: file, detail: `${info.columns}×${info.rows} vs ${nx}×${ny}` });
    }
    if (parsed.dataset.PixelData === undefined && !info.floatPixels) {
      throw new MedSegError('DICOM_MISSING_PIXELS', 'This DICOM file has no image data.', { path: file });
    }
    syntaxes.add(info.transferSyntax);
    if (info.samplesPerPixel >= 3) {
      if (info.photometric === 'PALETTE COLOR') throw new MedSegError('UNSUPPORTED_DATATYPE', 'Palette-colour images are not supported.', { path: file });
      rgb = true;
    }
    // MONOCHROME1 means low values are shown bright. Invert so bright = high everywhere, except for CT whose
    // Hounsfield units are absolute and must stay as stored.
    const isMono1 = info.photometric === 'MONOCHROME1';
    const invert = isMono1 && modality !== 'CT';
    if (isMono1 && invert) mono1 = true;
    if (isMono1 && !invert) mono1Kept = true;
    for (const { k, frame } of list) {
      if (opts.signal?.aborted) throw new MedSegError('CANCELLED', 'Opening the series was cancelled.');
      if (frame.frame >= info.numberOfFrames) throw new MedSegError('DICOM_INCONSISTENT', 'A frame listed for this series is missing from its file; rescan the folder.', { path: file });
      const decoded = await decodeFrame(parsed.dataset, info, frame.frame, file);
      const st = frameValues(decoded, info, { slope: frame.slope, intercept: frame.intercept, invert, native: !decoded.float && isNativeSyntax(info.transferSyntax) }, slice, 0);
      if (out16 && !(st.integral && st.min >= -32768 && st.max <= 32767)) {
        out32 = new Float32Array(pixels * nz);
        out32.set(out16);
        out16 = null;
      }
      (out16 ?? out32!).set(slice, k * pixels);
      if (st.min < min) min = st.min;
      if (st.max > max) max = st.max;
      done++;
      opts.onProgress?.(done / nz);
    }
  }
  if (rgb) warnings.push('Colour image: converted to grey values (luminance) for segmentation.');
  if (mono1) warnings.push('The image was stored as MONOCHROME1 (inverted grey scale); values were inverted so that bright means high signal.');
  if (mono1Kept) warnings.push('The CT image was stored as MONOCHROME1 (inverted display); Hounsfield values are kept as stored.');
  const lossy = [...syntaxes].filter((s) => LOSSY.has(s));
  if (lossy.length) warnings.push(`The image was stored with lossy compression (${lossy.map((s) => TS_NAMES[s]).join(', ')}); fine detail may differ from the original scan.`);

  const fitsInt16 = out16 !== null;
  const data = out16 ?? out32!;
  const f0 = frames[0];
  const window = f0.windowWidth !== undefined && f0.windowWidth > 0 && f0.windowCenter !== undefined
    ? { center: f0.windowCenter, width: f0.windowWidth }
    : defaultWindow(modality, data);
  const s = h.series;
  const meta: VolumeMeta = {
    patientName: s.patientName, patientId: s.patientId, studyInstanceUid: s.studyInstanceUid, studyDate: s.studyDate,
    studyDescription: s.studyDescription, seriesInstanceUid: s.seriesInstanceUid, seriesDescription: entry.description,
    seriesNumber: s.seriesNumber, frameOfReferenceUid: s.frameOfReferenceUid,
    sourceFiles: frames.map((f) => f.file),
    sopInstanceUids: frames.map((f) => f.sopInstanceUid ?? ''),
    sopClassUid: s.sopClassUid, format: 'dicom',
  };
  return {
    dims: [nx, ny, nz], spacing: geo.spacing, origin: geo.origin, direction: geo.direction,
    data, voxelType: fitsInt16 ? 'int16' : 'float32', modality, meta, window, warnings,
  };
}
