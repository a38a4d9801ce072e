/** Keyboard shortcuts: one table drives both the handler and the help sheet. Data-only. */
export interface Shortcut {
  keys: string; // as shown in the help sheet
  action: string;
  id: ShortcutId;
}

export type ShortcutId =
  | 'undo' | 'redo' | 'brush' | 'eraser' | 'navigate' | 'wl' | 'sizeDown' | 'sizeUp' | 'shape'
  | 'sliceUp' | 'sliceDown' | 'preset1' | 'preset2' | 'preset3' | 'preset4' | 'auto' | 'background'
  | 'outline' | 'uncertainty' | 'prediction' | 'next' | 'layout' | 'reset' | 'help' | 'sequence';

export const SHORTCUTS: Shortcut[] = [
  { keys: 'Ctrl+Z', action: 'Undo', id: 'undo' },
  { keys: 'Ctrl+Shift+Z / Ctrl+Y', action: 'Redo', id: 'redo' },
  { keys: 'B', action: 'Brush', id: 'brush' },
  { keys: 'E', action: 'Eraser', id: 'eraser' },
  { keys: 'C', action: 'Crosshair (navigate)', id: 'navigate' },
  { keys: 'W', action: 'Window/level tool', id: 'wl' },
  { keys: '[  ]', action: 'Brush smaller / larger', id: 'sizeDown' },
  { keys: 'S', action: 'Brush 2D disc ↔ 3D sphere', id: 'shape' },
  { keys: '↑ ↓ / wheel', action: 'Next / previous slice', id: 'sliceUp' },
  { keys: '1 2 3 4', action: 'CT presets: soft tissue, lung, bone, brain', id: 'preset1' },
  { keys: 'A', action: 'Automatic window', id: 'auto' },
  { keys: 'X', action: 'Paint background ↔ class', id: 'background' },
  { keys: 'O', action: 'Overlay fill ↔ outline', id: 'outline' },
  { keys: 'U', action: 'Show uncertainty', id: 'uncertainty' },
  { keys: 'P', action: 'Show prediction', id: 'prediction' },
  { keys: 'N', action: 'Label here next (least certain slice)', id: 'next' },
  { keys: 'L', action: 'Cycle layout 1×1 / 2×2 / 1+3', id: 'layout' },
  { keys: 'R', action: 'Reset zoom and pan', id: 'reset' },
  { keys: 'Q / Shift+Q', action: 'Next / previous sequence (multi-sequence studies)', id: 'sequence' },
  { keys: '?', action: 'This help', id: 'help' },
];

/** Mouse bindings listed in the help sheet. */
export const MOUSE_HELP: [string, string][] = [
  ['Left drag', 'Current tool (paint, erase, move crosshair, window/level)'],
  ['Right drag', 'Window/level'],
  ['Middle drag / Shift+left drag', 'Pan'],
  ['Ctrl+wheel', 'Zoom at the cursor'],
  ['Wheel', 'Scroll slices'],
];

export function shortcutFor(e: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }): ShortcutId | null {
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.toLowerCase();
  if (mod && k === 'z') return e.shiftKey ? 'redo' : 'undo';
  if (mod && k === 'y') return 'redo';
  if (mod || e.altKey) return null;
  const map: Record<string, ShortcutId> = {
    b: 'brush', e: 'eraser', c: 'navigate', w: 'wl', '[': 'sizeDown', ']': 'sizeUp', s: 'shape',
    arrowup: 'sliceUp', arrowdown: 'sliceDown', '1': 'preset1', '2': 'preset2', '3': 'preset3', '4': 'preset4',
    a: 'auto', x: 'background', o: 'outline', u: 'uncertainty', p: 'prediction', n: 'next', l: 'layout', r: 'reset', '?': 'help', q: 'sequence',
  };
  return map[k] ?? null;
}
