// TensorFlow.js, loaded on demand: importing it costs about two seconds, which every command and
// test that merely lists the agents would otherwise pay. useBackend (backend.ts) loads it; the
// network code then reaches it through tfjs().
import type * as TF from '@tensorflow/tfjs';

let loaded: typeof TF | null = null;

export async function loadTf(): Promise<typeof TF> {
  loaded ??= await import('@tensorflow/tfjs');
  return loaded;
}

/** The loaded module; an agent with networks created before a backend was chosen gets a one-line error. */
export function tfjs(): typeof TF {
  if (!loaded)
    throw new Error(
      'TensorFlow.js is not loaded: agents with networks need a backend first (the lab loads the ' +
        'config\'s; in your own code: await useBackend("wasm"))',
    );
  return loaded;
}
