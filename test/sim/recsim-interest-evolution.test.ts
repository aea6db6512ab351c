import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runEpisodes } from '../../lab/loop/rollout.ts';
import { defaultParams } from '../../sim/params.ts';
import {
  CLUSTERS,
  clusterMeans,
  interestEvolutionChoiceModel,
  makeScratch,
  recsimInterestEvolution,
  recsimInterestEvolutionParams,
  stepInterestEvolution,
} from '../../sim/presets/recsim-interest-evolution.ts';
import { ReplayUniforms } from '../../sim/rng.ts';
import { randomDecider } from './deciders.ts';

interface TraceStep {
  pre: { interests: number[]; budget: number };
  candidates: { doc_id: number; cluster_id: number; quality: number; video_length: number }[];
  slate: number[];
  draws: { kind: 'choice' | 'flip'; u: number; p?: number[]; result?: number }[];
  responses: { click: number; watch_time: number }[];
  reward: number;
  done: boolean;
  post: { interests: number[]; budget: number };
}
interface Trace {
  num_candidates: number;
  slate_size: number;
  episodes: { return: number; length: number; steps: TraceStep[] }[];
}

const load = (name: string): Trace =>
  JSON.parse(readFileSync(new URL(`../fixtures/recsim/${name}`, import.meta.url), 'utf8')) as Trace;

describe("recsim-interest-evolution: replay of RecSim's own recorded steps", () => {
  for (const file of ['iev_random_seed0.json', 'iev_greedy_pctr_seed0.json']) {
    it(`matches every step of ${file} exactly`, () => {
      const trace = load(file);
      const params = {
        ...defaultParams(recsimInterestEvolutionParams),
        candidates: trace.num_candidates,
        slateSize: trace.slate_size,
      };
      const choice = interestEvolutionChoiceModel(params);
      const k = params.slateSize;
      const scratch = makeScratch(k);
      const signals = new Float32Array(k * 2);
      let steps = 0;
      for (const episode of trace.episodes) {
        let total = 0;
        for (const step of episode.steps) {
          const state = {
            interests: Float64Array.from(step.pre.interests),
            budget: Float64Array.of(step.pre.budget),
            docCluster: Int32Array.from(step.candidates.map((c) => c.cluster_id)),
            docQuality: Float64Array.from(step.candidates.map((c) => c.quality)),
          };
          const draws = new ReplayUniforms(step.draws.map((d) => d.u));
          const reward = stepInterestEvolution(
            params,
            choice,
            state,
            0,
            Int32Array.from(step.slate),
            draws,
            scratch,
            signals,
            0,
          );
          const choiceDraw = step.draws[0];
          expect(Array.from(scratch.probs)).toEqual(choiceDraw.p);
          const clickedSlot = step.responses.findIndex((r) => r.click === 1);
          expect(clickedSlot === -1 ? k : clickedSlot).toBe(choiceDraw.result);
          for (let slot = 0; slot < k; slot++) {
            expect(signals[slot * 2]).toBe(step.responses[slot].click);
            expect(signals[slot * 2 + 1]).toBe(Math.fround(step.responses[slot].watch_time));
          }
          expect(draws.consumed).toBe(step.draws.length);
          expect(reward).toBe(step.reward);
          expect(state.budget[0] <= 0).toBe(step.done);
          expect(state.budget[0]).toBe(step.post.budget);
          expect(Array.from(state.interests)).toEqual(step.post.interests);
          total += reward;
          steps++;
        }
        expect(total).toBe(episode.return);
        expect(episode.steps.length).toBe(episode.length);
      }
      expect(steps).toBeGreaterThan(150);
    });
  }

  it("uses RecSim's cluster means: 14 from -3 to 0, then 6 from 0 to 3", () => {
    const means = clusterMeans(-3, 3);
    expect(means.length).toBe(CLUSTERS);
    expect(means[0]).toBe(-3);
    expect(means[13]).toBe(0);
    expect(means[14]).toBe(0);
    expect(means[19]).toBe(3);
    expect(means[1]).toBeCloseTo(-3 + 3 / 13, 12);
    expect(means[15]).toBeCloseTo(0.6, 12);
  });

  it('draws candidate qualities around their cluster means (sd 0.1)', () => {
    const trace = load('iev_random_seed0.json');
    const means = clusterMeans(-3, 3);
    for (const step of trace.episodes[0].steps) {
      for (const c of step.candidates) expect(Math.abs(c.quality - means[c.cluster_id])).toBeLessThan(0.6);
    }
  });
});

describe("recsim-interest-evolution: RecSim's other settings", () => {
  const defaults = defaultParams(recsimInterestEvolutionParams);
  // One user, two candidates, slot 0 clicked for sure (the choice draw 0 lands on slot 0).
  const clickOnce = (overrides: Partial<typeof defaults>, interest: number, quality: number, draws = [0, 0]) => {
    const params = { ...defaults, candidates: 2, slateSize: 1, ...overrides };
    const state = {
      interests: new Float64Array(CLUSTERS).fill(interest),
      budget: Float64Array.of(100),
      docCluster: Int32Array.of(3, 4),
      docQuality: Float64Array.of(quality, 0),
    };
    const signals = new Float32Array(2);
    // Draws: the choice (0 picks slot 0), then the flip (by default 0 < (x + 1) / 2: the interest moves up).
    stepInterestEvolution(
      params,
      interestEvolutionChoiceModel(params),
      state,
      0,
      Int32Array.of(0),
      new ReplayUniforms(draws),
      makeScratch(1),
      signals,
      0,
    );
    return { interest: state.interests[3], budget: state.budget[0], clicked: signals[0] };
  };

  it('scales the bought-back budget by documentQualityFactor (RecSim document_quality_factor)', () => {
    const watch = defaults.videoLength;
    const base = clickOnce({}, 0.2, 2);
    expect(base.clicked).toBe(1);
    expect(base.budget).toBeCloseTo(100 - watch + defaults.userUpdateAlpha * watch * 2, 12);
    const halved = clickOnce({ documentQualityFactor: 0.5 }, 0.2, 2);
    expect(halved.budget).toBeCloseTo(100 - watch + defaults.userUpdateAlpha * watch * 1, 12);
  });

  it('shrinks the interest step to zero at |interest| = interestStepZero (RecSim alpha_x_intercept)', () => {
    const x = 0.2;
    // alpha = (-y / x0) |x| + y, step = alpha (1 - x), moved up by the flip.
    expect(clickOnce({}, x, 0).interest).toBeCloseTo(x + (-0.3 * x + 0.3) * (1 - x), 12);
    expect(clickOnce({ interestStepZero: 0.4 }, x, 0).interest).toBeCloseTo(x + (-(0.3 / 0.4) * x + 0.3) * (1 - x), 12);
    expect(clickOnce({ interestStepZero: 0.2 }, x, 0).interest).toBeCloseTo(x, 12);
  });

  const candidateIds = (resampleDocuments: boolean): number[][] => {
    const env = recsimInterestEvolution.create(
      { ...defaults, resampleDocuments },
      { seed: { experiment: 0, run: 0 }, batchSize: 1 },
    );
    env.resetRow(0, 0);
    const ids: number[][] = [];
    const slates = Int32Array.of(0, 1); // the budget (200 minutes) outlasts 5 steps either way
    for (let step = 0; step < 5; step++) {
      ids.push(Array.from(env.observation.candidateItems, (item) => env.observation.itemIds[item]));
      expect(env.step(slates).done[0]).toBe(0);
    }
    return ids;
  };

  it("keeps an episode's candidates when resampleDocuments is false, and draws fresh ones when true", () => {
    const kept = candidateIds(false);
    for (const ids of kept) expect(ids).toEqual(kept[0]);
    const fresh = candidateIds(true);
    expect(new Set(fresh.flat()).size).toBe(5 * defaults.candidates);
  });

  it('keeps one document set for every episode and row when resampleDocuments is false (RecSim draws it once), and fresh ones per episode when true', () => {
    const firstDocuments = (resampleDocuments: boolean, batchSize: number, episodes: number[]) => {
      const env = recsimInterestEvolution.create(
        { ...defaults, resampleDocuments, observeQuality: true },
        { seed: { experiment: 0, run: 0 }, batchSize },
      );
      for (const [row, episode] of episodes.entries()) env.resetRow(row % batchSize, episode);
      // Per row: each candidate's id, cluster and quality.
      return Array.from({ length: batchSize }, (_, row) =>
        Array.from({ length: defaults.candidates }, (_, c) => {
          const item = env.observation.candidateItems[row * defaults.candidates + c];
          return [
            env.observation.itemIds[item],
            env.observation.candidateArms[row * defaults.candidates + c],
            env.observation.fields.quality[row * defaults.candidates + c],
          ];
        }),
      );
    };
    const fixed = [...firstDocuments(false, 3, [0, 1, 2]), ...firstDocuments(false, 1, [77])];
    for (const documents of fixed) expect(documents).toEqual(fixed[0]);
    const fresh = firstDocuments(true, 3, [0, 1, 2]);
    expect(fresh[1]).not.toEqual(fresh[0]);
    expect(fresh[2]).not.toEqual(fresh[0]);
  });

  it("observes every candidate's quality only with observeQuality, and the same episodes either way", () => {
    const run = (observeQuality: boolean) => {
      const env = recsimInterestEvolution.create(
        { ...defaults, observeQuality },
        { seed: { experiment: 0, run: 4 }, batchSize: 4 },
      );
      return {
        env,
        records: runEpisodes(env, randomDecider, { episodes: 8, seed: { experiment: 0, run: 4 }, streamKey: 'random' }),
      };
    };
    const hidden = run(false);
    const shown = run(true);
    expect(hidden.env.spec.observationLayout.fields).toEqual([]);
    expect(Object.keys(hidden.env.observation.fields)).toEqual([]);
    expect(shown.env.spec.observationLayout.fields.map((field) => field.name)).toEqual(['quality']);
    expect(shown.records).toEqual(hidden.records);
    // The field holds the hidden quality: the clicked documents' mean quality is an episode metric.
    const env = recsimInterestEvolution.create(
      { ...defaults, observeQuality: true },
      { seed: { experiment: 0, run: 4 }, batchSize: 1 },
    );
    env.resetRow(0, 0);
    const truth = new Float32Array(defaults.candidates);
    env.truth.longTermValue(1, truth);
    const quality = env.observation.fields.quality;
    // longTermValue = P(click alone) (minutes + alpha minutes quality): recover quality from it.
    const minutes = Math.min(defaults.timeBudget, defaults.videoLength);
    const immediate = new Float32Array(defaults.candidates);
    env.truth.immediateValue(immediate);
    for (let c = 0; c < defaults.candidates; c++) {
      const clickAlone = immediate[c] / minutes;
      expect((truth[c] / clickAlone - minutes) / (defaults.userUpdateAlpha * minutes)).toBeCloseTo(quality[c], 4);
    }
    expect(recsimInterestEvolution.notes?.({ ...defaults, observeQuality: true })).toHaveLength(1);
    expect(recsimInterestEvolution.notes?.(defaults)).toEqual([]);
  });

  it('clips interests to [-1, 1] where a click would move them past (steps of about 1: interestStepSize 1, interestStepZero 100)', () => {
    // RecSim's parameters never get there (the step shrinks to 0 at |x| = 1); these do: from x < 0,
    // a move away from 1 of about (1 - x) lands below -1.
    const params = { ...defaults, interestStepSize: 1, interestStepZero: 100 };
    const env = recsimInterestEvolution.create(params, { seed: { experiment: 0, run: 2 }, batchSize: 8 });
    let atBound = 0;
    let outside = 0;
    const decider = {
      act(
        observation: { userFeatures: Float32Array; active: Uint8Array },
        rowRngs: readonly { int(n: number): number }[],
        slates: Int32Array,
      ) {
        randomDecider.act(observation as never, rowRngs as never, slates);
        for (const x of observation.userFeatures) {
          if (x === -1 || x === 1) atBound++;
          if (x < -1 || x > 1) outside++;
        }
      },
    };
    runEpisodes(env, decider, { episodes: 16, seed: { experiment: 0, run: 2 }, streamKey: 'random' });
    expect(outside).toBe(0);
    expect(atBound).toBeGreaterThan(0);
    // One click by hand: x = -0.5 moved away from 1 by alpha (1 - x) = (1 - 0.005) 1.5 lands at -1.9925, clipped.
    expect(clickOnce({ interestStepSize: 1, interestStepZero: 100 }, -0.5, 0, [0, 0.99]).interest).toBe(-1);
  });

  it("reports per-episode versions of RecSim's CTR and average quality", () => {
    const env = recsimInterestEvolution.create(defaults, { seed: { experiment: 0, run: 0 }, batchSize: 4 });
    const records = runEpisodes(env, randomDecider, {
      episodes: 12,
      seed: { experiment: 0, run: 0 },
      streamKey: 'random',
    });
    const [clickRate, meanClickedQuality] = [0, 1];
    for (const record of records) {
      expect(record.extra[clickRate]).toBeCloseTo(record.clicks / record.length, 12);
      // Qualities lie within a few sd of the cluster means, which span [-3, 3].
      expect(Math.abs(record.extra[meanClickedQuality])).toBeLessThan(3.5);
    }
    // A random slate's clicked quality averages near the mean of the cluster means (0.3 with
    // RecSim's means) but not exactly: over 12 episodes it is not constant across episodes.
    expect(new Set(records.map((r) => r.extra[meanClickedQuality])).size).toBeGreaterThan(1);
  });
});
