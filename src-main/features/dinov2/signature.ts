/**
 * Does an ONNX model have the DINOv2 (Hugging Face) signature? Pure checks on the session's declared inputs and
 * outputs, so the user learns at load time — with expected vs found names, types and dims — instead of at the
 * first slice. Register tokens and the feature dimension are read from a real output (see readTokenLayout).
 */
import { MedSegError } from '../../../src-shared';

export const PATCH = 14;
export const INPUT_NAME = 'pixel_values';
export const OUTPUT_NAME = 'last_hidden_state';

export interface ValueInfo {
  name: string;
  /** 'float32', 'float16'…; undefined for non-tensors. */
  type?: string;
  /** Symbolic dims are strings; [] when unknown. */
  shape: readonly (number | string)[];
}

export function describeValues(vs: readonly ValueInfo[]): string {
  return vs.map((v) => `${v.name}: ${v.type ?? 'non-tensor'} [${v.shape.join(', ')}]`).join('; ') || '(none)';
}

const EXPECTED = `inputs ${INPUT_NAME}: float32 [batch, 3, height, width]; outputs ${OUTPUT_NAME}: float32 [batch, tokens, dim]`;

function mismatch(what: string, inputs: readonly ValueInfo[], outputs: readonly ValueInfo[]): MedSegError {
  return new MedSegError(
    'MODEL_MISMATCH',
    `This model is not a DINOv2 feature model: ${what}.`,
    { detail: `expected ${EXPECTED}; found inputs ${describeValues(inputs)}; outputs ${describeValues(outputs)}` },
  );
}

export interface CheckedSignature {
  /** Fixed input height/width when the model has them (then the input size cannot be chosen), else undefined. */
  fixedHeight?: number;
  fixedWidth?: number;
  /** Feature dimension when declared. */
  declaredDim?: number;
}

export function checkSignature(inputs: readonly ValueInfo[], outputs: readonly ValueInfo[]): CheckedSignature {
  const input = inputs.find((v) => v.name === INPUT_NAME);
  if (!input) throw mismatch(`it has no input named "${INPUT_NAME}" (found ${inputs.map((v) => `"${v.name}"`).join(', ') || 'none'})`, inputs, outputs);
  const extra = inputs.filter((v) => v.name !== INPUT_NAME);
  if (extra.length) throw mismatch(`it needs extra inputs (${extra.map((v) => `"${v.name}"`).join(', ')})`, inputs, outputs);
  const output = outputs.find((v) => v.name === OUTPUT_NAME);
  if (!output) throw mismatch(`it has no output named "${OUTPUT_NAME}" (found ${outputs.map((v) => `"${v.name}"`).join(', ') || 'none'})`, inputs, outputs);
  if (input.type !== 'float32') throw mismatch(`input "${INPUT_NAME}" is ${input.type ?? 'not a tensor'}, not float32`, inputs, outputs);
  if (output.type !== 'float32') throw mismatch(`output "${OUTPUT_NAME}" is ${output.type ?? 'not a tensor'}, not float32`, inputs, outputs);
  const s = input.shape;
  if (s.length !== 0 && s.length !== 4) throw mismatch(`input "${INPUT_NAME}" has ${s.length} dimensions, not 4`, inputs, outputs);
  if (s.length === 4 && typeof s[1] === 'number' && s[1] !== 3) throw mismatch(`input "${INPUT_NAME}" has ${s[1]} channels, not 3`, inputs, outputs);
  const fixed = (d: number | string | undefined): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);
  const fixedHeight = fixed(s[2]);
  const fixedWidth = fixed(s[3]);
  for (const [n, v] of [['height', fixedHeight], ['width', fixedWidth]] as const) {
    if (v !== undefined && v % PATCH !== 0) throw mismatch(`its fixed input ${n} ${v} is not a multiple of ${PATCH}`, inputs, outputs);
  }
  const o = output.shape;
  if (o.length !== 0 && o.length !== 3) throw mismatch(`output "${OUTPUT_NAME}" has ${o.length} dimensions, not 3 [batch, tokens, dim]`, inputs, outputs);
  return { fixedHeight, fixedWidth, declaredDim: fixed(o[2]) };
}

export interface TokenLayout {
  registers: number;
  dim: number;
}

/** From a real output: R = tokens − 1 (CLS) − patches; DINOv2 exports have R = 0 or 4. */
export function readTokenLayout(outDims: readonly number[], batch: number, height: number, width: number): TokenLayout {
  const patches = (height / PATCH) * (width / PATCH);
  const found = `[${outDims.join(', ')}] for input [${batch}, 3, ${height}, ${width}]`;
  if (outDims.length !== 3 || outDims[0] !== batch) {
    throw new MedSegError('MODEL_MISMATCH', 'This model is not a DINOv2 feature model: its output is not [batch, tokens, dim].', {
      detail: `expected ${OUTPUT_NAME} [${batch}, 1 + R + ${patches}, dim]; found ${found}`,
    });
  }
  const registers = outDims[1] - 1 - patches;
  if (registers !== 0 && registers !== 4) {
    throw new MedSegError('MODEL_MISMATCH', 'This model is not a DINOv2 feature model: its token count does not match 14×14 patches.', {
      detail: `expected ${OUTPUT_NAME} [${batch}, 1 + R + ${patches}, dim] with R = 0 or 4; found ${found}`,
    });
  }
  return { registers, dim: outDims[2] };
}
