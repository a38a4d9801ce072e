/**
 * Eigenvalues of a real symmetric 3×3 matrix, sorted ascending, by the closed-form trigonometric method
 * (Smith 1961). Hand-written: it runs once per voxel per scale, so a general library call would dominate.
 */
export function symEig3(a: number, b: number, c: number, d: number, e: number, f: number, out: Float64Array): void {
  // Matrix [[a, d, e], [d, b, f], [e, f, c]].
  const p1 = d * d + e * e + f * f;
  const q = (a + b + c) / 3;
  if (p1 <= 1e-30 * (a * a + b * b + c * c + 1e-30)) {
    let x = a, y = b, z = c, t: number;
    if (x > y) { t = x; x = y; y = t; }
    if (y > z) { t = y; y = z; z = t; }
    if (x > y) { t = x; x = y; y = t; }
    out[0] = x; out[1] = y; out[2] = z;
    return;
  }
  const aq = a - q, bq = b - q, cq = c - q;
  const p2 = aq * aq + bq * bq + cq * cq + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  const ip = 1 / p;
  const B00 = aq * ip, B11 = bq * ip, B22 = cq * ip, B01 = d * ip, B02 = e * ip, B12 = f * ip;
  const detB = B00 * (B11 * B22 - B12 * B12) - B01 * (B01 * B22 - B12 * B02) + B02 * (B01 * B12 - B11 * B02);
  let r = detB / 2;
  if (r < -1) r = -1;
  else if (r > 1) r = 1;
  const phi = Math.acos(r) / 3;
  const e1 = q + 2 * p * Math.cos(phi);
  const e3 = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  out[2] = e1;
  out[0] = e3;
  out[1] = 3 * q - e1 - e3;
}
