// Discounted returns of a trajectory, per step or per hour of the world's clock
// (docs/agents.md#time-between-steps): reinforce.ts's returns, as pure functions.

/** Hours from a step to the next: its minutes and, where the session ended, the gap to the next. */
function hoursOf(
  t: { stepMinutes: Float64Array; sessionEnded: Uint8Array; hoursToNextSession: Float64Array },
  row: number,
) {
  const gap = t.sessionEnded[row] === 1 && Number.isFinite(t.hoursToNextSession[row]) ? t.hoursToNextSession[row] : 0;
  return t.stepMinutes[row] / 60 + gap;
}

/**
 * The discount between row `row`'s step in `t` and its next step: gamma per step, or with
 * `discount: hour` gammaPerHour to the hours between them (the step's minutes, and where it ended
 * a session after which the user comes back, the hours to the next session; a churned user's or the
 * horizon's last step counts its minutes only, and nothing is bootstrapped after it anyway).
 */
export function stepDiscount(
  hp: { readonly discount: string; readonly gamma: number; readonly gammaPerHour: number },
  t: { stepMinutes: Float64Array; sessionEnded: Uint8Array; hoursToNextSession: Float64Array },
  row: number,
): number {
  return hp.discount === 'hour' ? hp.gammaPerHour ** hoursOf(t, row) : hp.gamma;
}

/**
 * G_i = r_i + d_i G_(i+1) over the `count` steps at rewards/discounts[base ..], from G_count =
 * `tail` (V(s') at a cut, 0 at termination), written to out[base ..].
 */
export function discountedReturns(
  rewards: Float64Array,
  discounts: Float64Array,
  base: number,
  count: number,
  tail: number,
  out: Float64Array,
): void {
  let g = tail;
  for (let i = count - 1; i >= 0; i--) {
    g = rewards[base + i] + discounts[base + i] * g;
    out[base + i] = g;
  }
}
