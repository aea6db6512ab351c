// The estimators of `slatelab evaluate` on what the target did with each seed's log
// (lab/ope/evaluate.ts collects it): every estimator on the logs pooled, or seed by seed on the
// first N interactions (--sizes), with a cross-fitted reward model per seed for the model-based ones.
import type { Estimate } from '../../eval/ope/estimate.ts';
import { shrinkWeight, snips, switchWeight } from '../../eval/ope/single-action.ts';
import {
  cascadeDr,
  independentDr,
  independentDrTerms,
  independentIps,
  independentSndr,
  rewardInteractionIps,
  slateDm,
  type SlateLog,
  slateIps,
  type SlateTarget,
} from '../../eval/ope/slate.ts';
import { type SeedSummary, summarize } from '../../eval/stats.ts';
import { SlotArmModel } from './reward-model.ts';
import { slopeSelect } from '../../eval/ope/slope.ts';
import { pseudoInverse, pseudoInverseIps, type PseudoInversePage } from '../../eval/ope/slate.ts';

/** The estimators that need the reward model. */
const MODEL_BASED = ['slate-dm', 'independent-dr', 'cascade-dr', 'sndr', 'switch-dr', 'dr-os'] as const;

/** Switch-DR's and DR-os's candidate lambdas (OBP's synthetic example's). */
const LAMBDAS = [10, 50, 100, 500, 1000, 5000, 10_000, Infinity];

/** The pseudo-inverse estimator's largest indicator space (candidates x slots) evaluate takes on. */
const MAX_PI_DIMENSION = 64;

/**
 * The pseudo-inverse estimator on epsilon-greedy logs of a deterministic agent: Gamma = epsilon x
 * Gamma(uniform pages) + (1 - epsilon) 1_g 1_g' for the agent's own page g (one pseudo-inverse per
 * distinct g, cached), theta the deterministic target's page. Why not, as a sentence, otherwise.
 */
function pseudoInverseEstimate(
  data: readonly SeedData[],
  take: (seed: SeedData) => number,
  stochastic: boolean,
): Estimate | string {
  if (stochastic) return 'the target draws its pages: its marginals are not computed yet';
  if (data.some((seed) => seed.epsilon === null))
    return "it needs epsilon-greedy logs of a deterministic agent (the agent's own page gives Gamma)";
  const k = data[0].slots;
  const n = data[0].candidates;
  const d = n * k;
  if (d > MAX_PI_DIMENSION)
    return `${n} candidates x ${k} slots is over the ${MAX_PI_DIMENSION} indicators it takes on`;
  const pages: PseudoInversePage[] = [];
  for (const seed of data) {
    const epsilon = seed.epsilon as number;
    const cache = new Map<string, Float64Array>();
    for (let i = 0; i < take(seed); i++) {
      const greedy = seed.greedyPages.slice(i * k, (i + 1) * k);
      const key = greedy.join(',');
      let gammaPinv = cache.get(key);
      if (!gammaPinv) {
        gammaPinv = pseudoInverse(epsilonGreedyGamma(n, k, epsilon, greedy), d);
        cache.set(key, gammaPinv);
      }
      const targetMarginals = new Float64Array(d);
      for (let s = 0; s < k; s++) targetMarginals[s * n + seed.targetPages[i * k + s]] = 1;
      pages.push({
        page: seed.loggedPages.slice(i * k, (i + 1) * k),
        reward: seed.pageReward[i],
        targetMarginals,
        gammaPinv,
      });
    }
  }
  return pseudoInverseIps(n, k, pages);
}

/** E[1_s 1_s'] over (slot, candidate) indicators for epsilon x uniform ordered pages + (1 - epsilon) x the page g. */
function epsilonGreedyGamma(n: number, k: number, epsilon: number, greedy: readonly number[]): Float64Array {
  const d = n * k;
  const gamma = new Float64Array(d * d);
  for (let a = 0; a < k; a++)
    for (let i = 0; i < n; i++)
      for (let b = 0; b < k; b++)
        for (let j = 0; j < n; j++) {
          const uniform = a === b ? (i === j ? 1 / n : 0) : i === j ? 0 : 1 / (n * (n - 1));
          gamma[(a * n + i) * d + b * n + j] = epsilon * uniform;
        }
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) gamma[(a * n + greedy[a]) * d + b * n + greedy[b]] += 1 - epsilon;
  return gamma;
}

/** Over seeds, an estimator's relative error (signed: its bias) and its absolute relative error. */
export interface ErrorSummary {
  readonly relError: SeedSummary;
  readonly absRelError: SeedSummary;
}

/** The estimators' errors on the first `interactions` interactions of each seed's log. */
export interface SizePoint {
  readonly interactions: number;
  readonly estimators: Readonly<Record<string, ErrorSummary>>;
}

/** Thrown for data evaluate cannot use; the CLI prints it as one line. */
export class EvaluateError extends Error {
  override readonly name = 'EvaluateError';
}

/** Each estimator's error over seeds at each data size (per seed: against that seed's truth). */
export function bySize(data: readonly SeedData[], sizes: readonly number[], stateful: boolean): SizePoint[] {
  if (stateful)
    throw new EvaluateError(
      "--sizes measures estimators' errors, which needs a world without state (the truth is the estimand only there)",
    );
  const fewest = Math.min(...data.map((seed) => seed.pageReward.length));
  return sizes.map((size) => {
    if (size > fewest)
      throw new EvaluateError(
        `--sizes: ${size} interactions a seed, but a seed's log holds only ${fewest}; log more users`,
      );
    const errors = new Map<string, { signed: number[]; absolute: number[] }>();
    for (const seed of data) {
      const { estimates } = estimateAll([seed], size);
      for (const [name, estimate] of Object.entries(estimates)) {
        const relError = (estimate.value - seed.truth) / Math.abs(seed.truth);
        if (!errors.has(name)) errors.set(name, { signed: [], absolute: [] });
        // A self-normalised estimate with no weight at all has no value: that seed is left out (n says so).
        if (!Number.isFinite(relError)) continue;
        errors.get(name)?.signed.push(relError);
        errors.get(name)?.absolute.push(Math.abs(relError));
      }
    }
    const estimators: Record<string, ErrorSummary> = {};
    for (const [name, { signed, absolute }] of errors)
      estimators[name] = { relError: summarize(signed), absRelError: summarize(absolute) };
    return { interactions: size, estimators };
  });
}

/** What one seed's log and truth come to, for the estimators. */
export interface SeedData {
  readonly seed: number;
  readonly slots: number;
  readonly slotWeights: readonly number[] | null;
  stochastic: boolean;
  /** The target's reward per step on this seed's logged users, and over how many steps. */
  truth: number;
  truthSteps: number;
  readonly pageReward: number[];
  /** Per record and slot (n x K). */
  readonly slotRewards: number[];
  readonly loggingSlot: number[];
  readonly loggingPrefix: number[];
  readonly targetSlot: number[];
  readonly targetPrefix: number[];
  readonly loggedArms: number[];
  readonly targetArms: number[];
  /** Per record: its cross-fitting fold (episode parity). */
  readonly folds: number[];
  /** N: candidates a request. */
  candidates: number;
  /** Epsilon of an epsilon-greedy log that holds the agent's own pages (loggingPage), else null. */
  epsilon: number | null;
  /** Per record and slot: the logged page's, the target's and (with epsilon) the logging agent's own candidates. */
  readonly loggedPages: number[];
  readonly targetPages: number[];
  readonly greedyPages: number[];
}

export function emptySeed(seed: number, slots: number, slotWeights: readonly number[] | null): SeedData {
  return {
    seed,
    slots,
    slotWeights,
    stochastic: false,
    truth: Number.NaN,
    truthSteps: 0,
    pageReward: [],
    slotRewards: [],
    loggingSlot: [],
    loggingPrefix: [],
    targetSlot: [],
    targetPrefix: [],
    loggedArms: [],
    targetArms: [],
    folds: [],
    candidates: 0,
    epsilon: null,
    loggedPages: [],
    targetPages: [],
    greedyPages: [],
  };
}

/** Every estimator on the first `limit` records of each seed's log, pooled (a reward model per seed). */
export function estimateAll(
  data: readonly SeedData[],
  limit: number,
): { estimates: Record<string, Estimate>; skipped: Record<string, string>; interactions: number } {
  const slateSize = data[0].slots;
  const slotWeights = data[0].slotWeights;
  const stochastic = data.some((seed) => seed.stochastic);
  const take = (seed: SeedData) => Math.min(limit, seed.pageReward.length);
  const perSlot = (pick: (seed: SeedData) => number[]) =>
    Float64Array.from(data.flatMap((seed) => pick(seed).slice(0, take(seed) * slateSize)));
  const pageReward = Float64Array.from(data.flatMap((seed) => seed.pageReward.slice(0, take(seed))));
  const n = pageReward.length;
  const slotReward = slotWeights
    ? perSlot((seed) => seed.slotRewards)
    : Float64Array.from(Array.from(pageReward).flatMap((r) => [r, ...new Array(slateSize - 1).fill(0)]));
  const loggingPrefix = perSlot((seed) => seed.loggingPrefix);
  const targetPrefix = perSlot((seed) => seed.targetPrefix);
  const slateLog: SlateLog = {
    slots: slateSize,
    slotReward,
    slotPscore: perSlot((seed) => seed.loggingSlot),
    prefixPscore: loggingPrefix,
  };
  const target: SlateTarget = { slotProb: perSlot((seed) => seed.targetSlot), prefixProb: targetPrefix };
  const pageOnly = { actions: 1, action: new Int32Array(n), reward: pageReward, pscore: new Float64Array(n) };
  const pageDist = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    pageOnly.pscore[i] = loggingPrefix[i * slateSize + slateSize - 1];
    pageDist[i] = targetPrefix[i * slateSize + slateSize - 1];
  }
  const estimates: Record<string, Estimate> = {
    'slate-ips': slateIps(slateLog, target),
    'slate-snips': snips(pageOnly, pageDist),
  };
  const skipped: Record<string, string> = {};
  if (slotWeights) {
    estimates['independent-ips'] = independentIps(slateLog, target);
    estimates['reward-interaction-ips'] = rewardInteractionIps(slateLog, target);
  } else {
    const why = "this world's reward is not a sum over slots: no per-slot rewards";
    skipped['independent-ips'] = why;
    skipped['reward-interaction-ips'] = why;
  }
  // The model-based estimators: a reward model per seed (catalogs differ by seed), cross-fitted.
  if (!slotWeights) {
    const why = "this world's reward is not a sum over slots: no per-slot rewards to model";
    for (const name of MODEL_BASED) skipped[name] = why;
  } else if (stochastic) {
    const why = "the target draws its pages: the model's expectation under it is not computed yet";
    for (const name of MODEL_BASED) skipped[name] = why;
  } else {
    const qLogged: number[] = [];
    const qTarget: number[] = [];
    for (const seed of data) {
      const model = new SlotArmModel(slateSize);
      const m = take(seed);
      for (let i = 0; i < m; i++)
        for (let s = 0; s < slateSize; s++)
          model.add(seed.folds[i], s, seed.loggedArms[i * slateSize + s], seed.slotRewards[i * slateSize + s]);
      for (let i = 0; i < m; i++)
        for (let s = 0; s < slateSize; s++) {
          qLogged.push(model.predict(seed.folds[i], s, seed.loggedArms[i * slateSize + s]));
          qTarget.push(model.predict(seed.folds[i], s, seed.targetArms[i * slateSize + s]));
        }
    }
    const logged = Float64Array.from(qLogged);
    const expected = Float64Array.from(qTarget);
    estimates['slate-dm'] = slateDm(slateLog, target, expected);
    estimates['independent-dr'] = independentDr(slateLog, target, logged, expected);
    estimates['cascade-dr'] = cascadeDr(slateLog, target, logged, expected);
    // Per slot, summed over the page: on pages of one slot, the single-action SNDR, Switch-DR and
    // DR-os (OBP's), the last two with lambda chosen by SLOPE as OBP chooses it.
    estimates.sndr = independentSndr(slateLog, target, logged, expected);
    const chosen = (transform: (lambda: number) => (w: number) => number) =>
      LAMBDAS[
        slopeSelect(
          LAMBDAS.map((lambda) => independentDrTerms(slateLog, target, logged, expected, transform(lambda)).terms),
        )
      ];
    estimates['switch-dr'] = independentDr(slateLog, target, logged, expected, switchWeight(chosen(switchWeight)));
    estimates['dr-os'] = independentDr(slateLog, target, logged, expected, shrinkWeight(chosen(shrinkWeight)));
  }
  const pi = pseudoInverseEstimate(data, take, stochastic);
  if (typeof pi === 'string') skipped['pseudo-inverse'] = pi;
  else estimates['pseudo-inverse'] = pi;
  return { estimates, skipped, interactions: n };
}
