// UCB1's index, computed by hand (Auer, Cesa-Bianchi & Fischer 2002): mean + c sqrt(2 ln t / n),
// with n and t counted in effective (position-weighted) pulls, unseen arms first.
import { describe, expect, it } from 'vitest';
import { allocateAction, type Agent, type Transition } from '../../agents/agent.ts';
import { banditWorld, makeAgent, rowStreams, sessionless, snapshot } from './helpers.ts';

/** One round in which row 0 played `slate` and clicked `clicks` (per slot). */
function feed(agent: Agent, observation: ReturnType<typeof snapshot>, slate: number[], clicks: number[]): void {
  const action = allocateAction(1, slate.length);
  action.slates.set(slate);
  const signals = Float32Array.from(clicks);
  const transition: Transition = {
    before: observation,
    action,
    signals,
    reward: Float32Array.of(clicks.reduce((a, b) => a + b, 0)),
    impressions: Int32Array.of(slate.length),
    after: observation,
    hasNext: Uint8Array.of(1),
    episode: Int32Array.of(0),
    step: Int32Array.of(0),
    terminated: Uint8Array.of(0),
    truncated: Uint8Array.of(0),
    ...sessionless(1),
  };
  agent.observe!(transition);
  agent.update!(0);
}

describe('ucb1: the index', () => {
  // 4 candidates, slates of 2; slot 1 is examined with probability 1/2 (examinationDecay 1).
  const env = banditWorld({ catalog: 8, candidates: 4, slateSize: 2 }, 1);
  env.resetRow(0, 5);
  const observation = snapshot(env.observation);
  const arms = Array.from(observation.candidateArms.subarray(0, 4));

  it('ranks never-shown arms first, then by mean + c sqrt(2 ln t / n) over effective pulls', () => {
    const { agent } = makeAgent('ucb1', env.spec, { exploration: 0.7 });
    // Candidate 0 in slot 0 (a full pull) clicked; candidate 1 in slot 1 (half a pull) not clicked.
    feed(agent, observation, [0, 1], [1, 0]);
    const action = allocateAction(1, 2);
    agent.act(observation, rowStreams('ucb1', 1), action, 'train');
    // Candidates 2 and 3 were never shown: they come first.
    expect([...action.slates].sort()).toEqual([2, 3]);
    // Show them too (2 clicked in slot 0, 3 not in slot 1), then compare the indices by hand.
    feed(agent, observation, [2, 3], [1, 0]);
    const t = 1 + 0.5 + 1 + 0.5; // effective pulls so far
    const index = (clicks: number, pulls: number) => clicks / pulls + 0.7 * Math.sqrt((2 * Math.log(t)) / pulls);
    const indices = [index(1, 1), index(0, 0.5), index(1, 1), index(0, 0.5)];
    agent.act(observation, rowStreams('ucb1', 1), action, 'train');
    const best = [0, 1, 2, 3].sort((a, b) => indices[b] - indices[a] || a - b).slice(0, 2);
    expect(Array.from(action.slates)).toEqual(best);
    expect(new Set(arms).size).toBe(4);
    // With c = 3 the unclicked half-pulled candidates' bonus outweighs the clicked ones' mean.
    const { agent: bold } = makeAgent('ucb1', env.spec, { exploration: 3 });
    feed(bold, observation, [0, 1], [1, 0]);
    feed(bold, observation, [2, 3], [1, 0]);
    bold.act(observation, rowStreams('ucb1', 1), action, 'train');
    const boldIndex = (clicks: number, pulls: number) => clicks / pulls + 3 * Math.sqrt((2 * Math.log(t)) / pulls);
    const boldIndices = [boldIndex(1, 1), boldIndex(0, 0.5), boldIndex(1, 1), boldIndex(0, 0.5)];
    expect(boldIndices[1]).toBeGreaterThan(boldIndices[0]);
    expect(Array.from(action.slates)).toEqual([1, 3]);
  });

  it('with exploration 0 is greedy on clicks / pulls, and evaluation ranks by the Laplace mean', () => {
    const { agent } = makeAgent('ucb1', env.spec, { exploration: 0 });
    feed(agent, observation, [0, 1], [0, 1]); // candidate 1: 1 click in half a pull = 2
    feed(agent, observation, [2, 3], [1, 0]); // candidate 2: 1 in 1
    const action = allocateAction(1, 2);
    agent.act(observation, rowStreams('ucb1', 1), action, 'train');
    expect(Array.from(action.slates)).toEqual([1, 2]);
    // Evaluation: (clicks + 1) / (pulls + 2): 2/2.5 = 0.8, 2/3, 1/3, 1/2.5 = 0.4.
    agent.act(observation, rowStreams('ucb1', 1), action, 'eval');
    expect(Array.from(action.slates)).toEqual([1, 2]);
  });
});
