// Pieces the bandits share: which slots were examined, the shown (arm, click) pairs of a round,
// posterior sampling. Functions over typed arrays, no classes to inherit from.
import type { Observation, WorldSpec } from '../../sim/env.ts';
import type { Rng } from '../../sim/rng.ts';
import { topKByScore } from '../../policies/slate.ts';
import type { Action, Mode, Transition } from '../agent.ts';
import type { AgentState, StateReader } from '../state.ts';

/**
 * K: the probability that each slot is examined, as the world's declared choice model says
 * (position-based worlds: e_k falls with the slot); 1 for every slot where the model considers the
 * whole slate (RecSim's single-choice models). Bandits weigh what they learn from slot k by e_k:
 * an unclicked slot that was probably never seen is little evidence against its item (the
 * position-based model, Craswell et al. 2008; PBM-UCB of Lagree et al. 2016 counts e_k as the
 * effective number of pulls).
 */
export function examinationWeights(spec: WorldSpec): Float64Array {
  const weights = new Float64Array(spec.slateSize);
  for (let slot = 0; slot < spec.slateSize; slot++) weights[slot] = spec.choiceModel.examination?.(slot) ?? 1;
  return weights;
}

/**
 * The evidence slot `slot` of row `row`'s slate carries, as a share of a pull: where the world
 * observes impressions (WorldSpec.impressionsObserved), 1 for a slot that reached the user's
 * screen and 0 for one below where they left (it says nothing about its post); elsewhere the
 * declared examination chance e_k (`weights`, examinationWeights).
 */
export function slotEvidence(
  spec: WorldSpec,
  weights: Float64Array,
  impressions: Int32Array,
  row: number,
  slot: number,
): number {
  return spec.impressionsObserved ? (slot < impressions[row] ? 1 : 0) : weights[slot];
}

/**
 * Bytes a per-arm bandit holds (AgentDefinition.memory): its arm statistics (`perArm` float64s per
 * arm) and its B x N scores, plus `extra` bytes.
 */
export function armBanditMemory(spec: WorldSpec, perArm: number, extra = 0): number {
  return (
    8 * (perArm * spec.armCount + spec.batchSize * spec.numCandidates) + 4 * spec.batchSize * spec.slateSize + extra
  );
}

/** Why a non-contextual (per-arm) bandit cannot run in this world, or null. */
export function needsArms(spec: WorldSpec): string | null {
  return spec.armCount > 0
    ? null
    : `nothing recurs in world ${spec.preset} (${spec.armDoc}), so there are no arms to learn about; ` +
        (spec.preset === 'bandit' ? 'give the world a catalog (world.params.catalog: 200) or ' : '') +
        'use a contextual bandit (linucb, lin-ts)';
}

/**
 * Calls visit(row, slot, arm, candidate, click, weight) for every slot of the round that carries
 * evidence (active rows; slotEvidence above 0), with the slot's click (the world's click signal)
 * and its weight: 1 for a slot the user saw where impressions are observed, else e_k.
 */
export function forEachShown(
  transition: Transition,
  spec: WorldSpec,
  weights: Float64Array,
  visit: (row: number, slot: number, arm: number, candidate: number, click: number, weight: number) => void,
): void {
  const { slateSize: k, numCandidates: n, clickSignal } = spec;
  const signalCount = spec.signalNames.length;
  const { before, action, signals } = transition;
  const rows = before.active.length;
  for (let row = 0; row < rows; row++) {
    if (transition.episode[row] < 0) continue;
    for (let slot = 0; slot < k; slot++) {
      const candidate = action.slates[row * k + slot];
      const arm = before.candidateArms[row * n + candidate];
      const weight = slotEvidence(spec, weights, transition.impressions, row, slot);
      if (weight === 0) continue;
      const click = signals[(row * k + slot) * signalCount + clickSignal] > 0 ? 1 : 0;
      visit(row, slot, arm, candidate, click, weight);
    }
  }
}

/** Rows of the observation (its batch may differ between training and evaluation). */
export function rowsOf(observation: Observation): number {
  return observation.active.length;
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), "A simple method for generating gamma variables". */
export function sampleGamma(rng: Rng, shape: number): number {
  return Math.exp(sampleLogGamma(rng, shape));
}

/**
 * log of a Gamma(shape, 1) draw. Below shape 1, Marsaglia & Tsang's boost Gamma(a) = Gamma(a + 1)
 * U^(1/a) is applied in log space: for tiny shapes (a Haldane-like prior, a = 1e-6) the draw itself
 * underflows to 0, its logarithm does not.
 */
export function sampleLogGamma(rng: Rng, shape: number): number {
  if (shape < 1) return sampleLogGamma(rng, shape + 1) + Math.log(rng.uniformPositive()) / shape;
  return Math.log(marsagliaTsang(rng, shape));
}

function marsagliaTsang(rng: Rng, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniformPositive();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), i.e. 1 / (1 + exp(log Y - log X)): never 0 / 0. */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const logX = sampleLogGamma(rng, a);
  const logY = sampleLogGamma(rng, b);
  return 1 / (1 + Math.exp(logY - logX));
}

/**
 * Per-arm click statistics under the position-based model: `pulls[a]` sums the evidence of the
 * slots arm a was shown in (effective pulls: 1 per slot seen where impressions are observed, else
 * the examination chance e_k), `clicks[a]` its clicks, so clicks / pulls estimates the arm's
 * attractiveness (the probability of a click once examined).
 */
export class ArmStats {
  /** A: effective pulls and clicks per arm. */
  readonly pulls: Float64Array;
  readonly clicks: Float64Array;
  /** Effective pulls over all arms. */
  totalPulls = 0;
  private readonly weights: Float64Array;

  constructor(private readonly spec: WorldSpec) {
    this.pulls = new Float64Array(spec.armCount);
    this.clicks = new Float64Array(spec.armCount);
    this.weights = examinationWeights(spec);
  }

  observe(transition: Transition): void {
    forEachShown(transition, this.spec, this.weights, (_row, _slot, arm, _candidate, click, weight) => {
      this.pulls[arm] += weight;
      this.clicks[arm] += click;
      this.totalPulls += weight;
    });
  }

  /** The statistics as saved state (agents/state.ts). */
  save(): AgentState {
    return {
      pulls: Float64Array.from(this.pulls),
      clicks: Float64Array.from(this.clicks),
      totalPulls: this.totalPulls,
    };
  }

  load(saved: StateReader): void {
    saved.array('pulls', this.pulls);
    saved.array('clicks', this.clicks);
    this.totalPulls = saved.number('totalPulls');
  }

  /** The estimate (clicks + 1) / (pulls + 2): Laplace's rule, 1/2 for an arm never seen. */
  mean(arm: number): number {
    return (this.clicks[arm] + 1) / (this.pulls[arm] + 2);
  }
}

/**
 * Writes score(arm of candidate) for every candidate of every active row (B x N), row by row;
 * `score` may draw from the row's stream.
 */
export function scoreCandidates(
  observation: Observation,
  numCandidates: number,
  scores: Float64Array,
  score: (arm: number, row: number) => number,
): void {
  const rows = rowsOf(observation);
  const arms = observation.candidateArms;
  for (let row = 0; row < rows; row++) {
    if (observation.active[row] === 0) continue;
    for (let c = row * numCandidates, end = c + numCandidates; c < end; c++) scores[c] = score(arms[c], row);
  }
}

/**
 * Monte Carlo propensities of a sampling policy for row `row` (Thompson sampling has no closed
 * form): the slate played plus `samples` fresh slates from drawSlate (which must use a stream of
 * its own, so that asking for propensities changes no decision). Counting the played slate once
 * keeps every reported propensity above 0 (an inverse-propensity weight is never 1 / 0); the
 * estimate is biased by at most 1 / (samples + 1). Writes action.slateProb[row], action.slotProb
 * (B x K) and the row's N x K slot marginals into marginals[row * N * K ...].
 */
export function estimatePropensities(
  row: number,
  samples: number,
  n: number,
  k: number,
  drawSlate: (out: Int32Array) => void,
  action: { readonly slates: Int32Array; readonly slateProb: Float64Array; readonly slotProb: Float64Array },
  marginals: Float64Array,
  scratch: Int32Array,
): void {
  const base = row * n * k;
  const weight = 1 / (samples + 1);
  marginals.fill(0, base, base + n * k);
  for (let slot = 0; slot < k; slot++) marginals[base + action.slates[row * k + slot] * k + slot] += weight;
  let sameSlate = 1;
  for (let s = 0; s < samples; s++) {
    drawSlate(scratch);
    let same = true;
    for (let slot = 0; slot < k; slot++) {
      marginals[base + scratch[slot] * k + slot] += weight;
      same &&= scratch[slot] === action.slates[row * k + slot];
    }
    if (same) sameSlate++;
  }
  action.slateProb[row] = sameSlate * weight;
  for (let slot = 0; slot < k; slot++)
    action.slotProb[row * k + slot] = marginals[base + action.slates[row * k + slot] * k + slot];
}

/** The N x K slot marginals of a deterministic decision: 1 where the slate put each candidate. */
export function deterministicMarginals(slates: Int32Array, row: number, n: number, k: number, out: Float64Array): void {
  out.fill(0, 0, n * k);
  for (let slot = 0; slot < k; slot++) out[slates[row * k + slot] * k + slot] = 1;
}

/**
 * The mean of a per-played-slot quantity over a round, for the training statistics (an
 * exploration bonus, a posterior spread): add() each finite value, take() the mean (NaN when none)
 * and start again.
 */
export class RoundMean {
  private sum = 0;
  private count = 0;

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.sum += value;
    this.count++;
  }

  take(): number {
    const mean = this.count === 0 ? Number.NaN : this.sum / this.count;
    this.sum = 0;
    this.count = 0;
    return mean;
  }
}

/** Calls visit(row, candidate, arm) for every slot of the active rows' slates (the slots just played). */
export function forEachPlayed(
  observation: Observation,
  slates: Int32Array,
  n: number,
  k: number,
  visit: (row: number, candidate: number, arm: number) => void,
): void {
  const rows = rowsOf(observation);
  for (let row = 0; row < rows; row++) {
    if (observation.active[row] === 0) continue;
    for (let slot = 0; slot < k; slot++) {
      const candidate = slates[row * k + slot];
      visit(row, candidate, observation.candidateArms[row * n + candidate]);
    }
  }
}

/**
 * One posterior draw per arm per decision: where candidates share an arm (RecSim's clusters) they
 * share its draw, as a sample of the arms' parameters must. next() starts a decision; fresh(arm)
 * says whether the arm still needs its draw in it (and marks it drawn); the draw goes in value.
 */
export class DrawPerArm {
  readonly value: Float64Array;
  private readonly drawnFor: Float64Array; // decision counts outgrow 32 bits
  private decision = 0;

  constructor(arms: number) {
    this.value = new Float64Array(arms);
    this.drawnFor = new Float64Array(arms).fill(-1);
  }

  next(): void {
    this.decision++;
  }

  fresh(arm: number): boolean {
    if (this.drawnFor[arm] === this.decision) return false;
    this.drawnFor[arm] = this.decision;
    return true;
  }
}

/**
 * The propensities of a sampling policy (Thompson sampling, linear TS), whose evaluation is
 * deterministic: after each act, afterAct remembers an evaluation act's slates (a 0/1 matrix of
 * slot marginals) or, for a training act asked for propensities, estimates them by Monte Carlo
 * (estimatePropensities) from drawScores, which writes one fresh draw of a row's N candidate
 * scores from a stream of the agent's own (so asking changes no slate).
 */
export class SampledPropensities {
  private readonly marginals: Float64Array; // B x N x K, estimated when asked
  private readonly lastSlates: Int32Array; // B x K, the last evaluation act's slates
  private lastWasEval = false;
  private readonly oneRow: Float64Array;
  private readonly oneSlate: Int32Array;
  private readonly oneActive = new Uint8Array(1).fill(1);

  constructor(
    private readonly spec: WorldSpec,
    private readonly samples: number,
  ) {
    const { batchSize, numCandidates: n, slateSize: k } = spec;
    this.marginals = new Float64Array(batchSize * n * k);
    this.lastSlates = new Int32Array(batchSize * k);
    this.oneRow = new Float64Array(n);
    this.oneSlate = new Int32Array(k);
  }

  afterAct(
    observation: Observation,
    action: Action,
    mode: Mode,
    drawScores: (row: number, out: Float64Array) => void,
  ): void {
    const { numCandidates: n, slateSize: k } = this.spec;
    this.lastWasEval = mode === 'eval';
    if (mode === 'eval') {
      this.lastSlates.set(action.slates.subarray(0, rowsOf(observation) * k));
      return;
    }
    if (!action.propensities) return;
    const drawSlate = (row: number) => (out: Int32Array) => {
      drawScores(row, this.oneRow);
      topKByScore(this.oneRow, this.oneActive, n, k, out);
    };
    for (let row = 0; row < rowsOf(observation); row++) {
      if (observation.active[row] === 1)
        estimatePropensities(row, this.samples, n, k, drawSlate(row), action, this.marginals, this.oneSlate);
    }
  }

  slotMarginals(row: number, out: Float64Array): void {
    const { numCandidates: n, slateSize: k } = this.spec;
    if (this.lastWasEval) deterministicMarginals(this.lastSlates, row, n, k, out);
    else out.set(this.marginals.subarray(row * n * k, (row + 1) * n * k));
  }
}
