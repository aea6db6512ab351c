// The neural-network backends a run may choose (agents/nets/backend.ts loads them). A module of its
// own, without TensorFlow.js, so that validating a config does not load it.
export const BACKENDS = ['wasm', 'cpu', 'node'] as const;
export type BackendName = (typeof BACKENDS)[number];
