/**
 * The scribble map the user paints, with undo/redo stored as voxel diffs (only changed voxels, old and new
 * values), and the LabelDiff to send to the engine for every change. Locked classes are never overwritten.
 * Data-only.
 */
import { UNLABELED, type LabelDiff } from '../../../src-shared';

export interface Edit {
  indices: Uint32Array;
  before: Uint8Array;
  after: Uint8Array;
}

export class ScribbleLayer {
  readonly data: Uint8Array;
  private undoStack: Edit[] = [];
  private redoStack: Edit[] = [];
  constructor(
    voxelCount: number,
    private readonly maxUndo = 200,
  ) {
    this.data = new Uint8Array(voxelCount);
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }
  get undoDepth(): number {
    return this.undoStack.length;
  }

  /**
   * Set `value` (a class id, BACKGROUND_ID, or UNLABELED to erase) at the given voxels, skipping voxels that
   * hold a locked class or already hold the value. Returns the diff to send, or null when nothing changed.
   */
  paint(indices: Uint32Array, value: number, locked: ReadonlySet<number>, merge = false): LabelDiff | null {
    if (locked.has(value) && value !== UNLABELED) return null;
    const changed: number[] = [];
    for (let n = 0; n < indices.length; n++) {
      const v = this.data[indices[n]];
      if (v === value || locked.has(v)) continue;
      changed.push(indices[n]);
    }
    if (changed.length === 0) return null;
    const idx = Uint32Array.from(changed);
    const before = new Uint8Array(idx.length);
    const after = new Uint8Array(idx.length).fill(value);
    for (let n = 0; n < idx.length; n++) {
      before[n] = this.data[idx[n]];
      this.data[idx[n]] = value;
    }
    const last = this.undoStack[this.undoStack.length - 1];
    if (merge && last && last.after.every((v) => v === value)) {
      // One mouse stroke = one undo step: extend the stroke's edit (its voxels now hold `value`, so no overlap).
      this.undoStack[this.undoStack.length - 1] = {
        indices: concatU32(last.indices, idx),
        before: concatU8(last.before, before),
        after: new Uint8Array(last.after.length + after.length).fill(value),
      };
    } else {
      this.undoStack.push({ indices: idx, before, after });
      if (this.undoStack.length > this.maxUndo) this.undoStack.shift();
    }
    this.redoStack = [];
    return { indices: idx, values: after };
  }

  /** The last edit as a diff to send (e.g. a whole stroke once the mouse is released). */
  lastEdit(): LabelDiff | null {
    const e = this.undoStack[this.undoStack.length - 1];
    return e ? { indices: e.indices, values: e.after.slice() } : null;
  }

  get redoDepth(): number {
    return this.redoStack.length;
  }

  undo(): LabelDiff | null {
    const e = this.undoStack.pop();
    if (!e) return null;
    this.write(e.indices, e.before);
    this.redoStack.push(e);
    return { indices: e.indices, values: e.before.slice() };
  }

  redo(): LabelDiff | null {
    const e = this.redoStack.pop();
    if (!e) return null;
    this.write(e.indices, e.after);
    this.undoStack.push(e);
    return { indices: e.indices, values: e.after.slice() };
  }

  /** Replace the whole map (e.g. labels loaded from the engine); history starts over. */
  replace(data: Uint8Array): void {
    this.data.set(data);
    this.undoStack = [];
    this.redoStack = [];
  }

  private write(indices: Uint32Array, values: Uint8Array): void {
    for (let n = 0; n < indices.length; n++) this.data[indices[n]] = values[n];
  }
}

function concatU32(a: Uint32Array, b: Uint32Array): Uint32Array {
  const o = new Uint32Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}
function concatU8(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}
