// The neural-network backend: TensorFlow.js, chosen explicitly, never silently, because results
// differ across backends (and are bit-identical run to run within one). `wasm` (the default) runs
// SIMD single-threaded in Node from the package's own .wasm files (no download); `cpu` is the
// reference JavaScript backend (5-20x slower); `node` is @tensorflow/tfjs-node, used only when the
// user installed it (its install downloads libtensorflow, so it stays out of the lockfile).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { loadTf } from './tf.ts';

import type { BackendName } from './backend-names.ts';

export { BACKENDS, type BackendName } from './backend-names.ts';

/** What the manifest records of the backend: results are comparable only within one. */
export interface BackendInfo {
  readonly backend: BackendName;
  readonly tfjs: string;
}

let active: BackendInfo | null = null;

/**
 * Selects and initialises `name` (once per process: asking for another backend after one is in
 * use is an error, since tensors and results would mix). Throws a one-line error naming the fix
 * when the backend cannot load.
 */
export async function useBackend(name: BackendName): Promise<BackendInfo> {
  const tf = await loadTf();
  if (active) {
    if (active.backend !== name)
      throw new Error(
        `--backend ${name}: this process already runs the ${active.backend} backend; use one backend per run`,
      );
    return active;
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    // The package's own binaries: setWasmPaths would otherwise fetch them from a CDN.
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))}/`);
  } else if (name === 'node') {
    try {
      // A name the type checker does not resolve: the package is optional.
      const optional = '@tensorflow/tfjs-node';
      await import(optional);
    } catch {
      throw new Error(
        '--backend node: @tensorflow/tfjs-node is not installed (npm install ' +
          '@tensorflow/tfjs-node@4.22.0, which downloads libtensorflow); or use --backend wasm',
      );
    }
    name = 'node';
  }
  const backend = name === 'node' ? 'tensorflow' : name;
  if (!(await tf.setBackend(backend)))
    throw new Error(`--backend ${name}: TensorFlow.js could not initialise it; use --backend cpu`);
  await tf.ready();
  active = { backend: name, tfjs: tf.version.tfjs };
  return active;
}

/** The backend in use, or null before useBackend. */
export function activeBackend(): BackendInfo | null {
  return active;
}
