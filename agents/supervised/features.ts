// Features of a (user, candidate, request) triple for the supervised rankers, read from the
// observation in batch (one pass per row over its N candidates) into a row-major N x F block.
// Generic over worlds: whatever the world's observation layout declares (sim/env.ts
// ObservationLayout) becomes features:
//   - the affinity products u_d phi_d over the affinity dims (the interest match, term by term);
//   - the item features phi;
//   - each named candidate field: a categorical one one-hot, an identifier (the feed's `creator`)
//     left out (a number with no order), a signed one (a quality) as it is, a count or duration
//     as log(1 + x);
//   - each named row field as log(1 + x);
//   - with a clock, the hour of day (sin, cos) and the device one-hot;
//   - a constant 1 (the intercept).
import type { Observation, ObservationField, WorldSpec } from '../../sim/env.ts';
import type { Transition } from '../agent.ts';
import type { SignalLog } from './signal-log.ts';

export class CandidateFeatures {
  /** F: features per candidate. */
  readonly size: number;
  /** One name per feature, for reports and saved models. */
  readonly names: string[] = [];
  private readonly candidateFields: readonly ObservationField[];
  private readonly rowFields: readonly ObservationField[];

  constructor(private readonly spec: WorldSpec) {
    const layout = spec.observationLayout;
    for (let d = 0; d < spec.affinityDim; d++) this.names.push(`match.${d}`);
    this.names.push(...layout.itemFeatures.map((name) => `item.${name}`));
    this.candidateFields = layout.fields.filter((field) => field.scope === 'candidate' && !field.identifier);
    this.rowFields = layout.fields.filter((field) => field.scope === 'row');
    for (const field of this.candidateFields) {
      if (field.categories) this.names.push(...field.categories.map((category) => `${field.name}.${category}`));
      else this.names.push(field.signed ? field.name : `log1p.${field.name}`);
    }
    for (const field of this.rowFields) this.names.push(`log1p.${field.name}`);
    if (spec.clock) this.names.push('hour.sin', 'hour.cos', 'device.phone', 'device.tablet', 'device.desktop');
    this.names.push('intercept');
    this.size = this.names.length;
  }

  /** Writes the N x F features of row `row`'s candidates into out[0 .. N x F). */
  encodeRow(observation: Observation, row: number, out: Float64Array): void {
    const { numCandidates: n, affinityDim: a, userFeatureDim: u, itemFeatureDim: d, clock } = this.spec;
    const f = this.size;
    const user = observation.userFeatures;
    const items = observation.itemFeatures;
    const userBase = row * u;
    for (let c = 0; c < n; c++) {
      const at = c * f;
      const itemBase = observation.candidateItems[row * n + c] * d;
      let j = 0;
      for (let k = 0; k < a; k++) out[at + j++] = user[userBase + k] * items[itemBase + k];
      for (let k = 0; k < d; k++) out[at + j++] = items[itemBase + k];
      for (const field of this.candidateFields) {
        const value = observation.fields[field.name][row * n + c];
        if (field.categories) {
          for (let code = 0; code < field.categories.length; code++) out[at + j++] = value === code ? 1 : 0;
        } else out[at + j++] = field.signed ? value : Math.log1p(value > 0 ? value : 0);
      }
      for (const field of this.rowFields) {
        const value = observation.fields[field.name][row];
        out[at + j++] = Math.log1p(value > 0 ? value : 0);
      }
      if (clock) {
        const angle = (2 * Math.PI * observation.context[row * 3 + 1]) / 24;
        const device = observation.context[row * 3 + 2];
        out[at + j++] = Math.sin(angle);
        out[at + j++] = Math.cos(angle);
        out[at + j++] = device === 0 ? 1 : 0;
        out[at + j++] = device === 1 ? 1 : 0;
        out[at + j++] = device === 2 ? 1 : 0;
      }
      out[at + j] = 1;
    }
  }
}

/**
 * Logs every impression of a training round (the slots that reached the screen) with its features
 * (encoded into `block`, N x F scratch) and signals; returns the round's training steps (active rows).
 */
export function logImpressions(
  transition: Transition,
  features: CandidateFeatures,
  block: Float64Array,
  log: SignalLog,
  spec: WorldSpec,
): number {
  const { before, action, signals, impressions, episode } = transition;
  const k = spec.slateSize;
  const f = features.size;
  const signalCount = spec.signalNames.length;
  let steps = 0;
  for (let row = 0; row < episode.length; row++) {
    if (episode[row] < 0) continue;
    steps++;
    const shown = impressions[row];
    if (shown === 0) continue;
    features.encodeRow(before, row, block);
    for (let slot = 0; slot < shown; slot++)
      log.add(block, action.slates[row * k + slot] * f, signals, (row * k + slot) * signalCount);
  }
  return steps;
}
