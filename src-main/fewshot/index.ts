/**
 * fewshot/: few-shot heads (trainers separate from trained heads), spatial refinement, the simulated annotator and
 * Dice. May import src-shared and features/ (types and the filter bank's helpers); never engine/, services/ or io/.
 *
 * Public API (stable; the engine and CLI call it):
 *   createFilterBackbone(settings?)                         → FeatureBackbone, id 'filters' (weights-free default)
 *   trainHead(kind: 'linear'|'proto', features, scribbles, dims, opts?) → TrainedHead
 *       scribbles: 0 unlabeled, 255 background, 1..254 class ids. opts.backbone = {id, settings} is stored in the
 *       head. Throws LABELS_EMPTY, LABELS_SINGLE_CLASS, GRID_MISMATCH (labels not on the image grid).
 *   segment({ volume, features, scribbles, head, locked?, order?, signal?, onSlice?, refine?, propagation? })
 *       → Promise<{ labels (0 = background), uncertainty (Uint8 0..255), timings }>
 *       locked = { classIds, labels: previous prediction }: voxels of a locked class keep it, no other becomes it.
 *       order: slices delivered first through onSlice(k, labels, uncertainty); the rest follow ascending.
 *       signal: abort → CANCELLED. refine: 'propagate' (default) | 'connected' | 'none' (for ablations).
 *       Features from another backbone/dim than the head's → HEAD_MISMATCH.
 *   saveHead(head, path) / loadHead(path)                   (JSON + base64; bad file → HEAD_INVALID)
 *   leastCertainSlice(uncertainty, dims)                    → slice index to label next
 *   simulateAnnotation(...), chooseSlices(...), dice(...), diceAll(...)   (the BENCHMARK.md annotator and score)
 */
export { createFilterBackbone, DEFAULT_FILTER_SETTINGS, type FilterSettings } from '../features/filters';
export { trainHead, type TrainOptions } from './train';
export { segment, bandParams, leastCertainSlice, type SegmentInput, type SegmentResult, type LockedClasses, type RefineLevel } from './segment';
export { saveHead, loadHead, headToJson, headFromJson } from './serialize';
export { assertHeadMatches, type TrainedHead, type HeadKind, type LinearHead, type ProtoHead } from './head';
export { CT_BAND_BALANCE, DEFAULT_PROPAGATION, type BandBalance, type PropagationParams } from './propagate';
export { simulateAnnotation, chooseSlices, erode3x3, centroid, type AnnotatorMode, type AnnotatorInput } from './annotator';
export { dice, diceAll } from './dice';
export { labeledClasses, scribbleToClass } from './samples';
