/**
 * Loading of the hand-written WebAssembly SIMD kernels, whose bytes are committed as base64 modules (.wasm.ts, built
 * by scripts/build-wasm.mjs) so that every thread and the CLI load them without an asset path.
 */
const modules = new Map<string, WebAssembly.Module | null>();

/**
 * The compiled module of a kernel, or null where WebAssembly SIMD is unavailable (the caller's JavaScript code then
 * does the work) or MEDSEG_NO_WASM=1 asks for JavaScript (read per call, so A/B timings can switch in one process).
 */
export function simdModule(base64: string): WebAssembly.Module | null {
  if (typeof process !== 'undefined' && process.env.MEDSEG_NO_WASM === '1') return null;
  let mod = modules.get(base64);
  if (mod === undefined) {
    try {
      mod = new WebAssembly.Module(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)));
    } catch {
      mod = null; // no SIMD support
    }
    modules.set(base64, mod);
  }
  return mod;
}
