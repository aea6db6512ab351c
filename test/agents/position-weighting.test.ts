// Position weighting of the per-arm bandits (agents/bandits/common.ts ArmStats): a slot shown in
// slot k counts as e_k of a pull (the position-based model; PBM-UCB of Lagree et al. 2016), so an
// arm shown only in rarely examined slots is judged by its attractiveness, not by its raw click rate.
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../agents/agent.ts';
import { allocateAction } from '../../agents/agent.ts';
import { ArmStats, examinationWeights, slotEvidence } from '../../agents/bandits/common.ts';
import { feed } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { train } from '../../lab/loop/rollout.ts';
import {
  BANDIT_KINDS,
  banditWorld,
  handTransition,
  makeAgent,
  rowStreams,
  SEED,
  snapshot,
  type AgentKind,
} from './helpers.ts';

/** A catalog world of 6 arms, 4 candidates, slates of 3, examinationDecay 1: e = 1, 1/2, 1/3. */
const world = (overrides = {}, batchSize = 1) =>
  banditWorld({ catalog: 6, candidates: 4, slateSize: 3, dim: 2, examinationDecay: 1, ...overrides }, batchSize);

describe('ArmStats: effective pulls under the position-based model', () => {
  it('reads e_k = 1 / (k + 1) from the world (examinationDecay 1)', () => {
    expect(Array.from(examinationWeights(world().spec))).toEqual([1, 1 / 2, 1 / 3]);
  });

  it('counts each shown slot as e_k of a pull, every click as one click, and skips masked rows', () => {
    const env = world({}, 2);
    const { spec } = env;
    env.resetRow(0, 0);
    env.resetRow(1, 1);
    const before = snapshot(env.observation);
    const arms = before.candidateArms;
    const stats = new ArmStats(spec);
    // Row 0 shows candidates 2, 0, 3 (slots 0, 1, 2), clicked in slots 1 and 2; row 1 is masked
    // (its slate and clicks, which a world would have zeroed, must not count).
    const t = handTransition(spec, before, [2, 0, 3, 1, 2, 3], [0, 1, 1, 1, 1, 1], [0, -1]);
    stats.observe(t);
    stats.observe(t);
    const expectedPulls = new Float64Array(6);
    const expectedClicks = new Float64Array(6);
    expectedPulls[arms[2]] += 2 * 1;
    expectedPulls[arms[0]] += 2 * (1 / 2);
    expectedPulls[arms[3]] += 2 * (1 / 3);
    expectedClicks[arms[0]] += 2;
    expectedClicks[arms[3]] += 2;
    for (let arm = 0; arm < 6; arm++) {
      expect(stats.pulls[arm]).toBeCloseTo(expectedPulls[arm], 14);
      expect(stats.clicks[arm]).toBe(expectedClicks[arm]);
    }
    expect(stats.totalPulls).toBeCloseTo(2 * (1 + 1 / 2 + 1 / 3), 14);
    // Laplace's rule on effective pulls; 1/2 for an arm never seen.
    expect(stats.mean(arms[3])).toBeCloseTo((2 + 1) / (2 / 3 + 2), 14);
    const unseen = [0, 1, 2, 3, 4, 5].find((arm) => expectedPulls[arm] === 0)!;
    expect(stats.mean(unseen)).toBe(0.5);
  });

  it('estimates an arm attractiveness without slot bias: clicks / pulls -> sigmoid(bias + beta_i) when x^T Theta phi is switched off (40,000 random slates; 4 standard errors)', () => {
    // scoreScaling 0: attractiveness a_i = sigmoid(bias + beta_i) depends on the arm alone, so a
    // shown slot k is clicked with probability e_k a_i.
    const env = world({ scoreScaling: 0, bias: -0.5, itemBiasSd: 1, horizon: 100 }, 20);
    const { spec } = env;
    const itemBias = (env as unknown as { itemBias: Float64Array }).itemBias;
    const stats = new ArmStats(spec);
    const shows = Array.from({ length: 6 }, () => new Float64Array(3)); // per arm, per slot
    const agent: Agent = {
      act(observation, rowRngs, action) {
        for (let row = 0; row < observation.active.length; row++)
          if (observation.active[row] === 1) rowRngs[row].sampleDistinct(4, 3, action.slates, row * 3);
      },
      observe(transition) {
        stats.observe(transition);
        for (let row = 0; row < 20; row++) {
          for (let slot = 0; slot < 3; slot++)
            shows[transition.before.candidateArms[row * 4 + transition.action.slates[row * 3 + slot]]][slot]++;
        }
      },
    };
    const { steps } = train(env, agent, { seed: SEED, streamKey: 'arm-stats', steps: 40_000, episodes: Infinity });
    expect(steps).toBe(40_000);
    const e = [1, 1 / 2, 1 / 3];
    for (let arm = 0; arm < 6; arm++) {
      const a = 1 / (1 + Math.exp(-(-0.5 + itemBias[arm])));
      const pulls = shows[arm].reduce((sum, count, slot) => sum + count * e[slot], 0);
      expect(stats.pulls[arm]).toBeCloseTo(pulls, 6);
      // Var(clicks) = sum over shows of e_k a (1 - e_k a).
      const variance = shows[arm].reduce((sum, count, slot) => sum + count * e[slot] * a * (1 - e[slot] * a), 0);
      const tolerance = (4 * Math.sqrt(variance)) / pulls;
      expect(Math.abs(stats.clicks[arm] / stats.pulls[arm] - a)).toBeLessThan(tolerance);
      // Counting every showing as a full pull would fail the same check (slots 1 and 2 are examined half and a third of
      // the time).
      const rawRate = stats.clicks[arm] / shows[arm].reduce((x, y) => x + y, 0);
      expect(Math.abs(rawRate - a)).toBeGreaterThan(2 * tolerance);
    }
  });

  // The cluster bandit (agents/supervised/cluster.ts) keeps the same per-arm statistics per cluster.
  const perArmAgents: AgentKind[] = ['epsilon-greedy', 'ucb1', 'thompson', 'cluster'];
  for (const kind of perArmAgents) {
    it(`${kind}: an arm clicked 15 times in 60 showings in slot 2 (e = 1/3) outranks one clicked 30 times in 60 showings in slot 0`, () => {
      // Effective pulls 20 and 60: attractiveness estimates about 0.75 and 0.5. Counted as full
      // pulls, the low-slot arm would look like 0.26 and rank below the slot-0 arm.
      const env = world();
      const { spec } = env;
      const { agent } = makeAgent(kind, spec);
      env.resetRow(0, 0);
      const before = snapshot(env.observation);
      const arms = before.candidateArms;
      // The high-slot arm is candidate 0, the low-slot arm candidate 3; candidate 1 fills slot 1
      // and is never clicked (estimate 1/32); candidate 2 is never shown (1/2, tied with candidate 0).
      for (let show = 0; show < 60; show++) {
        const clicks = [show % 2 === 0 ? 1 : 0, 0, show % 4 === 0 ? 1 : 0];
        agent.observe!(handTransition(spec, before, [0, 1, 3], clicks, [0]));
        agent.update?.(show);
      }
      const action = allocateAction(1, 3);
      const observation = snapshot(before);
      agent.act(observation, rowStreams(`rank-${kind}`, 1), action, 'eval');
      // Best first: the low-slot arm, then the two estimates of 1/2 (ties to the lower index), then the filler.
      expect(Array.from(action.slates)).toEqual([3, 0, 2]);
      expect(new Set(Array.from(arms.subarray(0, 4))).size).toBe(4);
    });
  }
});

describe('learning from what users saw (WorldSpec.impressionsObserved)', () => {
  it('is declared by each world: the feed observes its impressions, the bandit world does not', () => {
    expect(feed.create(defaultParams(feed.params), { seed: SEED, batchSize: 1 }).spec.impressionsObserved).toBe(true);
    expect(world().spec.impressionsObserved).toBe(false);
  });

  it('counts a slot the user saw as a whole pull and one below where they left as none, where impressions are observed', () => {
    const env = world();
    const spec = { ...env.spec, impressionsObserved: true };
    env.resetRow(0, 0);
    const before = snapshot(env.observation);
    const t = handTransition(spec, before, [2, 0, 3], [0, 1, 0], [0]);
    (t.impressions as Int32Array)[0] = 2; // the user left after slot 1: slot 2 never reached the screen
    expect([0, 1, 2].map((slot) => slotEvidence(spec, examinationWeights(spec), t.impressions, 0, slot))).toEqual([
      1, 1, 0,
    ]);
    const stats = new ArmStats(spec);
    stats.observe(t);
    const arms = before.candidateArms;
    expect(stats.pulls[arms[2]]).toBe(1);
    expect(stats.pulls[arms[0]]).toBe(1); // not e_1 = 1/2: the impression says it was seen
    expect(stats.pulls[arms[3]]).toBe(0);
    expect(stats.totalPulls).toBe(2);
    // Where they are not observed, the declared examination chances weigh all K slots.
    const declared = new ArmStats(env.spec);
    declared.observe(handTransition(env.spec, before, [2, 0, 3], [0, 1, 0], [0]));
    expect(declared.totalPulls).toBeCloseTo(1 + 1 / 2 + 1 / 3, 14);
  });

  for (const kind of [...BANDIT_KINDS, 'cluster']) {
    it(`${kind}: learns nothing from a slot below where the user left`, () => {
      // Two rounds that differ only in the post of slot 2, which the user never saw (impressions 2):
      // the agent's learned state is the same after either.
      const env = world();
      const spec = { ...env.spec, impressionsObserved: true };
      env.resetRow(0, 0);
      const before = snapshot(env.observation);
      const states = [3, 1].map((third) => {
        const { agent } = makeAgent(kind, spec);
        const t = handTransition(spec, before, [2, 0, third], [1, 0, 0], [0]);
        (t.impressions as Int32Array)[0] = 2;
        agent.observe!(t);
        agent.update?.(0);
        return JSON.stringify(agent.save!(), (_key, value) =>
          ArrayBuffer.isView(value) ? Array.from(value as Float64Array) : value,
        );
      });
      expect(states[0]).toBe(states[1]);
      // ... while a slot the user saw does change it.
      const { agent } = makeAgent(kind, spec);
      const t = handTransition(spec, before, [2, 0, 3], [1, 0, 0], [0]);
      agent.observe!(t);
      agent.update?.(0);
      expect(
        JSON.stringify(agent.save!(), (_key, value) =>
          ArrayBuffer.isView(value) ? Array.from(value as Float64Array) : value,
        ),
      ).not.toBe(states[0]);
    });
  }
});
