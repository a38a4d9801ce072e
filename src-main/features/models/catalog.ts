/**
 * Public DINOv2 ONNX exports the app offers to download (Hugging Face signature: pixel_values → last_hidden_state).
 * Checked 2026-11 with the project's search tool against stored Hugging Face pages:
 * - onnx-community/dinov2-small: repo with an onnx/ folder (the same export as Xenova/dinov2-small, whose
 *   onnx/model.onnx is 88.5 MB).
 * - onnx-community/dinov2-base: repo with an onnx/ folder (Xenova/dinov2-base onnx/model.onnx is 347 MB).
 * - onnx-community/dinov2-with-registers-small: onnx/model.onnx listed at 88.5 MB.
 * NOT verified: onnx-community/dinov2-with-registers-base (its -small and -large siblings exist, the base repo page
 * was not in the stored pages), and no sha256 of any file (these machines cannot reach Hugging Face). Entries
 * without sha256 are checked by loading the model after download; the store records the sha256 it computed.
 */
export interface CatalogEntry {
  id: string;
  name: string;
  url: string;
  /** Expected embedding size and register tokens (checked again when the file is loaded). */
  dim: number;
  registers: number;
  approxBytes: number;
  /** When known, the download is refused unless it matches. */
  sha256?: string;
  verified: boolean;
}

const hf = (repo: string) => `https://huggingface.co/${repo}/resolve/main/onnx/model.onnx`;

export const MODEL_CATALOG: readonly CatalogEntry[] = [
  { id: 'dinov2-small', name: 'DINOv2 ViT-S/14', url: hf('onnx-community/dinov2-small'), dim: 384, registers: 0, approxBytes: 88_500_000, verified: true },
  { id: 'dinov2-with-registers-small', name: 'DINOv2 ViT-S/14 with registers', url: hf('onnx-community/dinov2-with-registers-small'), dim: 384, registers: 4, approxBytes: 88_500_000, verified: true },
  { id: 'dinov2-base', name: 'DINOv2 ViT-B/14', url: hf('onnx-community/dinov2-base'), dim: 768, registers: 0, approxBytes: 347_000_000, verified: true },
  { id: 'dinov2-with-registers-base', name: 'DINOv2 ViT-B/14 with registers', url: hf('onnx-community/dinov2-with-registers-base'), dim: 768, registers: 4, approxBytes: 347_000_000, verified: false },
];

export function catalogEntry(id: string): CatalogEntry | undefined {
  return MODEL_CATALOG.find((e) => e.id === id);
}
