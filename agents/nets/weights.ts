// Running a small network on flat arrays and keeping its weights as plain data (agents/state.ts):
// shared by the agents with networks (SlateQ, REINFORCE).
import { StateMismatch, type StateValue } from '../state.ts';
import type { Mlp } from './dense.ts';
import { tfjs } from './tf.ts';

/** The net's outputs (one each) for `count` input rows of width f. */
export function forward(net: Mlp, inputs: Float32Array, count: number, f: number, out: Float32Array): void {
  const tf = tfjs();
  const values = tf.tidy(() => net.apply(tf.tensor2d(inputs.subarray(0, count * f), [count, f])));
  out.set(values.dataSync().subarray(0, count));
  values.dispose();
}

/** The net's layer sizes and weights (w then b per layer), bit for bit. */
export function weightsOf(net: Mlp): StateValue {
  return { sizes: [...net.sizes], weights: net.weights().map((values) => Float32Array.from(values)) };
}

/** Replaces the net's weights with saved ones (weightsOf's); throws StateMismatch, one line, when they do not fit. */
export function assignWeights(net: Mlp, saved: StateValue | undefined, what: string): void {
  const tf = tfjs();
  const state =
    saved && typeof saved === 'object' && !ArrayBuffer.isView(saved) && !Array.isArray(saved)
      ? (saved as Record<string, StateValue>)
      : null;
  const sizes = state?.sizes;
  const weights = state?.weights;
  if (!Array.isArray(sizes) || sizes.join() !== net.sizes.join())
    throw new StateMismatch(
      `the saved ${what} has layer sizes ${Array.isArray(sizes) ? sizes.join('-') : 'none'}, ` +
        `this one ${net.sizes.join('-')} (another hidden or another world?)`,
    );
  const variables = net.variables();
  if (!Array.isArray(weights) || weights.length !== variables.length)
    throw new StateMismatch(`the saved ${what} has no weights for its ${variables.length} variables`);
  variables.forEach((variable, i) => {
    const values = weights[i];
    if (!(values instanceof Float32Array) || values.length !== variable.size)
      throw new StateMismatch(`the saved ${what}'s variable ${i} does not have ${variable.size} values`);
    variable.assign(tf.tensor(values, variable.shape));
  });
}
