/** Open-and-check of a DINOv2 ONNX file: the signature, then a tiny probe run that reveals R and D. */
import { MedSegError } from '../../../src-shared';
import { OnnxModel, type ProviderChoice } from './session';
import { INPUT_NAME, OUTPUT_NAME, PATCH, checkSignature, readTokenLayout, type CheckedSignature } from './signature';

export interface ProbedModel {
  signature: CheckedSignature;
  registers: number;
  dim: number;
}

export async function probeModel(model: OnnxModel): Promise<ProbedModel> {
  const signature = checkSignature(model.inputs, model.outputs);
  if (signature.fixedHeight !== signature.fixedWidth) {
    throw new MedSegError('MODEL_MISMATCH', 'This model only accepts a fixed, non-square input size, which is not supported.', {
      detail: `found ${INPUT_NAME} height ${signature.fixedHeight ?? 'dynamic'}, width ${signature.fixedWidth ?? 'dynamic'}`,
    });
  }
  // Declared output shapes are often symbolic; a 2×2-patch run (or the fixed size) gives the real R and D.
  const probe = signature.fixedHeight ?? 2 * PATCH;
  const out = await model.run(INPUT_NAME, new Float32Array(3 * probe * probe), [1, 3, probe, probe], OUTPUT_NAME);
  const { registers, dim } = readTokenLayout(out.dims, 1, probe, probe);
  if (signature.declaredDim !== undefined && signature.declaredDim !== dim) {
    throw new MedSegError('MODEL_MISMATCH', 'The model declares a feature size different from what it returns.', {
      detail: `declared ${OUTPUT_NAME} dim ${signature.declaredDim}; found ${dim}`,
    });
  }
  return { signature, registers, dim };
}

/** Load a file as a DINOv2 model and report what it is; throws MODEL_NOT_FOUND / MODEL_INVALID / MODEL_MISMATCH. */
export async function inspectDinov2Model(path: string, provider: ProviderChoice = 'cpu'): Promise<{ dim: number; registers: number; patchSize: number }> {
  const model = await OnnxModel.open(path, provider);
  try {
    const p = await probeModel(model);
    return { dim: p.dim, registers: p.registers, patchSize: PATCH };
  } finally {
    await model.dispose();
  }
}
