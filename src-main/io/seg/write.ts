/**
 * DICOM SEG export (binary segmentation, one segment per class) written through dcmjs.
 *
 * Why not dcmjs.derivations.Segmentation: it first normalises the source series into an in-memory multiframe
 * (copying every source pixel), requires the source's SOP/series UIDs (often empty in real data, e.g. the
 * TotalSegmentator DICOM example) and sorts frames its own way. Building the SEG dataset from our Volume's
 * geometry is direct and keeps frame positions exactly those of our grid; dcmjs still does the Part 10 encoding.
 */
import { axis, indexToWorld, MedSegError, type ClassSpec, type Volume } from '../../../src-shared';
import { newUid } from '../dicom/uids';
import { codesFor, rgbToDicomLab } from './codes';
import { dcmjsSeg, type Naturalized } from './dcmjs-seg';

export const SEG_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';
const CT_IMAGE_CLASS = '1.2.840.10008.5.1.4.1.1.2';
const MR_IMAGE_CLASS = '1.2.840.10008.5.1.4.1.1.4';

export { newUid };

export interface SegExportInput {
  volume: Volume;
  /** Prediction map on the volume's grid: 0 = background, else class id. */
  labels: Uint8Array;
  classes: ClassSpec[];
  seriesDescription?: string;
  algorithmName?: string;
}

export interface SegExportResult {
  bytes: Uint8Array;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  /** Things the user should know (e.g. "the source had no UIDs; new ones were made"). */
  warnings: string[];
  segments: { number: number; classId: number; label: string; frames: number }[];
}

const fmt = (v: number) => Number(v.toFixed(6));

export function buildSeg(input: SegExportInput): SegExportResult {
  const { volume, labels, classes } = input;
  const [nx, ny, nz] = volume.dims;
  if (labels.length !== nx * ny * nz) {
    throw new MedSegError('GRID_MISMATCH', 'The segmentation does not match the image it was made on, so it cannot be exported as DICOM SEG.');
  }
  const warnings: string[] = [];
  const meta = volume.meta;
  const isDicom = meta.format === 'dicom';
  let studyUid = meta.studyInstanceUid || '';
  let forUid = meta.frameOfReferenceUid || '';
  if (!studyUid) {
    studyUid = newUid();
    warnings.push('The source images have no Study Instance UID; a new one was made for the segmentation.');
  }
  if (!forUid) {
    forUid = newUid();
    warnings.push('The source images have no Frame of Reference UID; a new one was made, so other software may not align the segmentation automatically.');
  }
  const sourceClass = meta.sopClassUid || (volume.modality === 'MR' ? MR_IMAGE_CLASS : CT_IMAGE_CLASS);
  let sopUids = meta.sopInstanceUids ?? [];
  if (!isDicom) warnings.push('The source is not a DICOM series, so the segmentation references no source images.');
  else if (sopUids.length !== nz || sopUids.some((u) => !u)) {
    sopUids = Array.from({ length: nz }, (_, k) => sopUids[k] || newUid());
    warnings.push('Some source images have no SOP Instance UID; new ones were made for the references in the segmentation.');
  }

  const sliceLen = nx * ny;
  const present = classes.filter((c) => c.id >= 1 && c.id <= 254);
  // frames: for each segment, each slice where it has voxels
  const frames: { seg: number; k: number }[] = [];
  const segments: SegExportResult['segments'] = [];
  present.forEach((c, si) => {
    let count = 0;
    for (let k = 0; k < nz; k++) {
      const off = k * sliceLen;
      for (let p = 0; p < sliceLen; p++) {
        if (labels[off + p] === c.id) {
          frames.push({ seg: si + 1, k });
          count++;
          break;
        }
      }
    }
    segments.push({ number: si + 1, classId: c.id, label: c.name, frames: count });
  });
  if (frames.length === 0) {
    throw new MedSegError('LABELS_EMPTY', 'There is nothing to export: no class has any segmented voxel yet.');
  }

  // 1-bit packing, frames back to back, least significant bit first (PS3.5 8.1.1).
  const packed = new Uint8Array(Math.ceil((frames.length * sliceLen) / 8));
  frames.forEach((f, fi) => {
    const classId = present[f.seg - 1].id;
    const off = f.k * sliceLen;
    const bitBase = fi * sliceLen;
    for (let p = 0; p < sliceLen; p++) {
      if (labels[off + p] === classId) {
        const bit = bitBase + p;
        packed[bit >> 3] |= 1 << (bit & 7);
      }
    }
  });

  const rowDir = axis(volume.direction, 0);
  const colDir = axis(volume.direction, 1);
  const now = new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const time = now.toISOString().slice(11, 19).replace(/:/g, '');
  const seriesUid = newUid();
  const sopUid = newUid();
  const dimOrg = newUid();
  const algorithm = input.algorithmName ?? 'MedSeg few-shot';

  const ds: Naturalized = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: SEG_SOP_CLASS,
    SOPInstanceUID: sopUid,
    StudyDate: meta.studyDate ?? '',
    StudyTime: '',
    SeriesDate: date,
    SeriesTime: time,
    ContentDate: date,
    ContentTime: time,
    AccessionNumber: '',
    Modality: 'SEG',
    Manufacturer: 'MedSeg Workstation',
    ManufacturerModelName: 'MedSeg Workstation',
    DeviceSerialNumber: '1',
    SoftwareVersions: '0.1.0',
    ReferringPhysicianName: '',
    SeriesDescription: input.seriesDescription ?? 'MedSeg segmentation',
    StudyDescription: meta.studyDescription ?? '',
    PatientName: meta.patientName ?? '',
    PatientID: meta.patientId ?? '',
    PatientBirthDate: '',
    PatientSex: '',
    StudyInstanceUID: studyUid,
    SeriesInstanceUID: seriesUid,
    StudyID: '',
    SeriesNumber: 300,
    InstanceNumber: 1,
    FrameOfReferenceUID: forUid,
    PositionReferenceIndicator: '',
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'SEGMENTATION',
    ContentDescription: 'Few-shot segmentation',
    ContentCreatorName: 'MedSeg^Workstation',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: ny,
    Columns: nx,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    NumberOfFrames: frames.length,
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimOrg }],
    DimensionIndexSequence: [
      { DimensionOrganizationUID: dimOrg, DimensionIndexPointer: 0x0062000b, FunctionalGroupPointer: 0x0062000a, DimensionDescriptionLabel: 'ReferencedSegmentNumber' },
      { DimensionOrganizationUID: dimOrg, DimensionIndexPointer: 0x00200032, FunctionalGroupPointer: 0x00209113, DimensionDescriptionLabel: 'ImagePositionPatient' },
    ],
    SegmentSequence: present.map((c, si) => {
      const codes = codesFor(c.name);
      return {
        SegmentNumber: si + 1,
        SegmentLabel: c.name.slice(0, 64),
        SegmentAlgorithmType: 'SEMIAUTOMATIC',
        SegmentAlgorithmName: algorithm,
        SegmentedPropertyCategoryCodeSequence: [codes.category],
        SegmentedPropertyTypeCodeSequence: [codes.type],
        RecommendedDisplayCIELabValue: rgbToDicomLab(c.color),
        TrackingID: String(c.id),
        TrackingUID: newUid(),
      };
    }),
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: [...rowDir, ...colDir].map(fmt) }],
        PixelMeasuresSequence: [
          { PixelSpacing: [fmt(volume.spacing[1]), fmt(volume.spacing[0])], SliceThickness: fmt(volume.spacing[2]), SpacingBetweenSlices: fmt(volume.spacing[2]) },
        ],
      },
    ],
    PerFrameFunctionalGroupsSequence: frames.map((f) => {
      const pos = indexToWorld(volume, [0, 0, f.k]).map(fmt);
      const item: Naturalized = {
        FrameContentSequence: [{ DimensionIndexValues: [f.seg, f.k + 1] }],
        PlanePositionSequence: [{ ImagePositionPatient: pos }],
        SegmentIdentificationSequence: [{ ReferencedSegmentNumber: f.seg }],
      };
      if (isDicom) {
        item.DerivationImageSequence = [
          {
            SourceImageSequence: [
              {
                ReferencedSOPClassUID: sourceClass,
                ReferencedSOPInstanceUID: sopUids[f.k],
                PurposeOfReferenceCodeSequence: [{ CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' }],
              },
            ],
            DerivationCodeSequence: [{ CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' }],
          },
        ];
      }
      return item;
    }),
    PixelData: packed.buffer,
    _vrMap: { PixelData: 'OB' },
  };
  if (isDicom) {
    ds.ReferencedSeriesSequence = [
      {
        SeriesInstanceUID: meta.seriesInstanceUid || newUid(),
        ReferencedInstanceSequence: sopUids.map((u) => ({ ReferencedSOPClassUID: sourceClass, ReferencedSOPInstanceUID: u })),
      },
    ];
    if (!meta.seriesInstanceUid) warnings.push('The source series has no Series Instance UID; the reference uses a new one.');
  }

  const api = dcmjsSeg().data;
  const metaHeader = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SEG_SOP_CLASS,
    MediaStorageSOPInstanceUID: sopUid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.284727346221137838498471137346563582870',
    ImplementationVersionName: 'MEDSEG_0.1',
  };
  const dict = new api.DicomDict(api.DicomMetaDictionary.denaturalizeDataset(metaHeader));
  dict.dict = api.DicomMetaDictionary.denaturalizeDataset(ds);
  const bytes = new Uint8Array(dict.write());
  return { bytes, seriesInstanceUid: seriesUid, sopInstanceUid: sopUid, studyInstanceUid: studyUid, warnings, segments };
}
