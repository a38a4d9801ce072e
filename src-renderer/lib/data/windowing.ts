/** Window/level presets and the drag rule, as in OHIF / Slicer. Data-only. */
import { defaultWindow, type Modality, type WindowLevel } from '../../../src-shared';

export interface WindowPreset extends WindowLevel {
  id: string;
  name: string;
  key: string;
}

export const CT_PRESETS: WindowPreset[] = [
  { id: 'soft', name: 'Soft tissue', center: 40, width: 400, key: '1' },
  { id: 'lung', name: 'Lung', center: -600, width: 1500, key: '2' },
  { id: 'bone', name: 'Bone', center: 300, width: 1500, key: '3' },
  { id: 'brain', name: 'Brain', center: 40, width: 80, key: '4' },
];

/** MR has no absolute scale: its only preset is the automatic percentile window. */
export function presetsFor(modality: Modality): WindowPreset[] {
  return modality === 'CT' ? CT_PRESETS : [];
}

export function autoWindow(modality: Modality, data: ArrayLike<number>): WindowLevel {
  return defaultWindow(modality === 'CT' ? 'OT' : modality, data);
}

/** Drag right widens the window, drag down raises the level; sensitivity scales with the current width. */
export function dragWindow(w: WindowLevel, dx: number, dy: number): WindowLevel {
  const k = Math.max(w.width, 10) / 400;
  return { center: w.center + dy * k, width: Math.max(1, w.width + dx * k * 2) };
}
