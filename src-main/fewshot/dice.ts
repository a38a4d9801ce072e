/** Dice per class in 3D over the whole volume. Both empty → 1 (nothing to find, nothing found). */
export function dice(pred: Uint8Array, ref: Uint8Array, classId: number): number {
  let a = 0, b = 0, ab = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] === classId, r = ref[i] === classId;
    if (p) a++;
    if (r) b++;
    if (p && r) ab++;
  }
  return a + b === 0 ? 1 : (2 * ab) / (a + b);
}

export function diceAll(pred: Uint8Array, ref: Uint8Array, classes: number[]): { dice: Record<string, number>; meanDice: number } {
  const d: Record<string, number> = {};
  let s = 0;
  for (const c of classes) { d[String(c)] = dice(pred, ref, c); s += d[String(c)]; }
  return { dice: d, meanDice: classes.length ? s / classes.length : 0 };
}
