// The estimators of `slatelab evaluate` on what the target did with each seed's log
// (lab/ope/evaluate.ts collects it): every estimator on the logs pooled, or seed by seed on the
// first N interactions (--sizes), with a cross-fitted reward model per seed for the model-based ones.
import type { Estimate } from '../../eval/ope/estimate.ts';
import { snips } from '../../eval/ope/single-action.ts';
import {
  cascadeDr,
  independentDr,
  independentIps,
  rewardInteractionIps,
  slateDm,
  type SlateLog,
  slateIps,
  type SlateTarget,
} from '../../eval/ope/slate.ts';
import { type SeedSummary, summarize } from '../../eval/stats.ts';
import { SlotArmModel } from './reward-model.ts';

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
    for (const name of ['slate-dm', 'independent-dr', 'cascade-dr']) skipped[name] = why;
  } else if (stochastic) {
    const why = "the target draws its pages: the model's expectation under it is not computed yet";
    for (const name of ['slate-dm', 'independent-dr', 'cascade-dr']) skipped[name] = why;
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
  }
  return { estimates, skipped, interactions: n };
}
