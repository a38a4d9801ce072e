/**
 * A multi-sequence study: several series of one patient (T1, T1c, T2, FLAIR, …) brought onto the reference
 * sequence's grid through world coordinates, each with a coverage mask (features exist only where the sequence
 * covers the reference). Sequences of different patients or studies need the user's confirmation; sequences
 * that do not overlap, or with different frames of reference, are refused.
 */
import { MedSegError, indexToWorld, sameGrid, voxelCount, type Grid, type Vec3, type Volume } from '../../../src-shared';
import { resampleData } from '../../io';

export const SEQUENCE_NAMES = ['T1', 'T1c', 'T2', 'FLAIR', 'CT', 'other'] as const;
export type SequenceName = (typeof SEQUENCE_NAMES)[number] | string;

/** Guess a sequence's name from its DICOM description or file name (the user can rename it). */
export function guessSequenceName(v: Pick<Volume, 'modality' | 'meta'>): SequenceName {
  const text = `${v.meta.seriesDescription ?? ''} ${(v.meta.sourceFiles?.[0] ?? '').split(/[\\/]/).pop() ?? ''}`.toLowerCase();
  if (/flair|\bfla\b|_fla[_.]|dark.?fluid|tirm/.test(text)) return 'FLAIR';
  if (/t1c|t1ce|t1[\s_-]*(\+|post|gd|ce|contrast|c\b)|post[\s_-]*(gd|contrast)|\+c\b|gad|mprage.*post/.test(text)) return 'T1c';
  if (/t2/.test(text)) return 'T2';
  if (/t1|mprage|spgr/.test(text)) return 'T1';
  if (v.modality === 'CT') return 'CT';
  return 'other';
}

export interface Sequence {
  name: SequenceName;
  /** On the reference grid. */
  volume: Volume;
  /** 1 where this sequence has data on the reference grid. */
  coverage: Uint8Array;
  /** Fraction of reference voxels covered, 0..1. */
  coveredFraction: number;
}

export interface MultiSequenceStudy {
  reference: Grid;
  sequences: Sequence[];
  warnings: string[];
}

function corners(g: Grid): Vec3[] {
  const [nx, ny, nz] = g.dims;
  const out: Vec3[] = [];
  for (const i of [-0.5, nx - 0.5]) for (const j of [-0.5, ny - 0.5]) for (const k of [-0.5, nz - 0.5]) out.push(indexToWorld(g, [i, j, k]));
  return out;
}
function bbox(g: Grid): [Vec3, Vec3] {
  const c = corners(g);
  const lo: Vec3 = [Infinity, Infinity, Infinity], hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const p of c) for (let a = 0; a < 3; a++) {
    lo[a] = Math.min(lo[a], p[a]);
    hi[a] = Math.max(hi[a], p[a]);
  }
  return [lo, hi];
}

export interface AssembleOptions {
  /** The user confirmed that sequences of different patients/studies belong together. */
  confirmMismatch?: boolean;
  names?: SequenceName[];
}

/** Build a study from volumes; the first one is the reference grid. */
export function assembleStudy(volumes: Volume[], opts: AssembleOptions = {}): MultiSequenceStudy {
  if (volumes.length === 0) throw new MedSegError('INVALID_ARGUMENT', 'Add at least one sequence.');
  const ref = volumes[0];
  const warnings: string[] = [];
  for (const v of volumes) {
    if ((v.meta.timePoints ?? 1) > 1) {
      throw new MedSegError('SEQUENCE_4D', `“${v.meta.seriesDescription || 'This series'}” is a time series (${v.meta.timePoints} time points), not one sequence. Split it and add one time point.`);
    }
  }
  if (!opts.confirmMismatch) {
    const ids = new Set(volumes.map((v) => v.meta.patientId).filter(Boolean));
    const studies = new Set(volumes.map((v) => v.meta.studyInstanceUid).filter(Boolean));
    if (ids.size > 1 || studies.size > 1) {
      throw new MedSegError(
        'SEQUENCE_MISMATCH',
        ids.size > 1
          ? 'These sequences belong to different patients. Are you sure they should be read together?'
          : 'These sequences come from different studies (exams). Are you sure they should be read together?',
        { detail: `patients: ${[...ids].join(', ')}; studies: ${[...studies].join(', ')}` },
      );
    }
  } else if (new Set(volumes.map((v) => v.meta.patientId).filter(Boolean)).size > 1) {
    warnings.push('Sequences of different patients were combined at your request.');
  }
  const refFor = ref.meta.frameOfReferenceUid;
  const [rlo, rhi] = bbox(ref);
  const refVol = (rhi[0] - rlo[0]) * (rhi[1] - rlo[1]) * (rhi[2] - rlo[2]);
  const n = voxelCount(ref.dims);
  const sequences: Sequence[] = volumes.map((v, idx) => {
    const name = opts.names?.[idx] ?? guessSequenceName(v);
    if (idx > 0 && refFor && v.meta.frameOfReferenceUid && v.meta.frameOfReferenceUid !== refFor) {
      throw new MedSegError('NO_OVERLAP', `${name} was acquired in a different frame of reference than ${guessSequenceName(ref)}, so the two cannot be aligned by position. Register them first.`);
    }
    const [lo, hi] = bbox(v);
    const inter = [0, 1, 2].map((a) => Math.max(0, Math.min(hi[a], rhi[a]) - Math.max(lo[a], rlo[a])));
    if (inter[0] * inter[1] * inter[2] <= 1e-6 * refVol) {
      throw new MedSegError('NO_OVERLAP', `${name} does not overlap the reference sequence in space; it cannot be combined with it.`);
    }
    if (sameGrid(v, ref)) {
      return { name, volume: v, coverage: new Uint8Array(n).fill(1), coveredFraction: 1 };
    }
    const data = resampleData(v, new Float32Array(v.data), ref, { interpolation: 'linear', fill: 0 });
    const coverage = resampleData(v, new Uint8Array(voxelCount(v.dims)).fill(1), ref, { interpolation: 'nearest', fill: 0 });
    let covered = 0;
    for (let p = 0; p < n; p++) covered += coverage[p];
    const coveredFraction = covered / n;
    if (coveredFraction < 0.999) {
      warnings.push(`${name} covers ${(coveredFraction * 100).toFixed(0)}% of the reference; its features are used only where it exists.`);
    }
    const volume: Volume = { ...ref, data, voxelType: 'float32', modality: v.modality, meta: v.meta, window: v.window, warnings: v.warnings };
    return { name, volume, coverage, coveredFraction };
  });
  return { reference: { dims: ref.dims, spacing: ref.spacing, origin: ref.origin, direction: ref.direction }, sequences, warnings };
}
