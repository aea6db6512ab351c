import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultParams } from '../../sim/params.ts';
import {
  CLUSTERS,
  clusterMeans,
  interestEvolutionChoiceModel,
  makeScratch,
  recsimInterestEvolutionParams,
  stepInterestEvolution,
} from '../../sim/presets/recsim-interest-evolution.ts';
import { ReplayUniforms } from '../../sim/rng.ts';

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

describe('recsim-interest-evolution: replay of RecSim\'s own recorded steps', () => {
  for (const file of ['iev_random_seed0.json', 'iev_greedy_pctr_seed0.json']) {
    it(`matches every step of ${file} exactly`, () => {
      const trace = load(file);
      const params = { ...defaultParams(recsimInterestEvolutionParams), candidates: trace.num_candidates, slateSize: trace.slate_size };
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
          const reward = stepInterestEvolution(params, choice, state, 0, Int32Array.from(step.slate), draws, scratch, signals, 0);
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

  it('uses RecSim\'s cluster means: 14 from -3 to 0, then 6 from 0 to 3', () => {
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
