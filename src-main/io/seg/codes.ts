/**
 * Anatomic codes for segments (SNOMED CT, scheme "SCT"), so a PACS or Slicer shows "Liver" rather than a number.
 * Matched on the class name; unknown names get the generic "Tissue" code with the user's name as label.
 */
export interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

const sct = (v: string, m: string): Code => ({ CodeValue: v, CodingSchemeDesignator: 'SCT', CodeMeaning: m });

export const CATEGORY_ANATOMY = sct('123037004', 'Anatomical Structure');
export const CATEGORY_ALTERED = sct('49755003', 'Morphologically Altered Structure');
export const CATEGORY_TISSUE = sct('85756007', 'Tissue');

const TYPES: [RegExp, Code, Code][] = [
  [/liver/i, CATEGORY_ANATOMY, sct('10200004', 'Liver')],
  [/spleen/i, CATEGORY_ANATOMY, sct('78961009', 'Spleen')],
  [/kidney.*(right|_r\b)|right.*kidney/i, CATEGORY_ANATOMY, sct('9846003', 'Right kidney')],
  [/kidney.*(left|_l\b)|left.*kidney/i, CATEGORY_ANATOMY, sct('18639004', 'Left kidney')],
  [/kidney/i, CATEGORY_ANATOMY, sct('64033007', 'Kidney')],
  [/aorta/i, CATEGORY_ANATOMY, sct('15825003', 'Aorta')],
  [/pancrea/i, CATEGORY_ANATOMY, sct('15776009', 'Pancreas')],
  [/stomach/i, CATEGORY_ANATOMY, sct('69695003', 'Stomach')],
  [/gall/i, CATEGORY_ANATOMY, sct('28231008', 'Gallbladder')],
  [/lung/i, CATEGORY_ANATOMY, sct('39607008', 'Lung')],
  [/heart/i, CATEGORY_ANATOMY, sct('80891009', 'Heart')],
  [/bladder/i, CATEGORY_ANATOMY, sct('89837001', 'Urinary bladder')],
  [/spine|spinal|vertebra/i, CATEGORY_ANATOMY, sct('421060004', 'Spine')],
  [/bone/i, CATEGORY_TISSUE, sct('3138006', 'Bone')],
  [/brain/i, CATEGORY_ANATOMY, sct('12738006', 'Brain')],
  [/prostate/i, CATEGORY_ANATOMY, sct('41216001', 'Prostate')],
  [/oedema|edema/i, CATEGORY_ALTERED, sct('79654002', 'Edema')],
  [/necro/i, CATEGORY_ALTERED, sct('6574001', 'Necrosis')],
  [/tumou?r|lesion|neoplasm|mass|enhanc/i, CATEGORY_ALTERED, sct('108369006', 'Neoplasm')],
];

export function codesFor(name: string): { category: Code; type: Code } {
  for (const [re, category, type] of TYPES) if (re.test(name)) return { category, type };
  return { category: CATEGORY_TISSUE, type: CATEGORY_TISSUE };
}

/** sRGB 0..255 → DICOM RecommendedDisplayCIELabValue (L*a*b* scaled to 0..65535). */
export function rgbToDicomLab(rgb: [number, number, number]): [number, number, number] {
  const lin = rgb.map((c) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  const X = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047;
  const Y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  const Z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const L = 116 * f(Y) - 16;
  const a = 500 * (f(X) - f(Y));
  const b = 200 * (f(Y) - f(Z));
  const clamp = (v: number) => Math.max(0, Math.min(65535, Math.round(v)));
  return [clamp((L * 65535) / 100), clamp(((a + 128) * 65535) / 255), clamp(((b + 128) * 65535) / 255)];
}

export function dicomLabToRgb(lab: number[]): [number, number, number] {
  const L = (lab[0] * 100) / 65535;
  const a = (lab[1] * 255) / 65535 - 128;
  const b = (lab[2] * 255) / 65535 - 128;
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const finv = (t: number) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  const X = finv(fx) * 0.95047, Y = finv(fy), Z = finv(fz) * 1.08883;
  const r = 3.2406 * X - 1.5372 * Y - 0.4986 * Z;
  const g = -0.9689 * X + 1.8758 * Y + 0.0415 * Z;
  const bl = 0.0557 * X - 0.204 * Y + 1.057 * Z;
  const gam = (v: number) => Math.max(0, Math.min(255, Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055))));
  return [gam(r), gam(g), gam(bl)];
}
