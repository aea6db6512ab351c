// The replay buffer of slate transitions (agents/rl/replay.ts): what it keeps of each step, how a
// step completes its predecessor (SARSA's next slate), and what sampling may draw.
import { describe, expect, it } from 'vitest';
import { allocateAction, type Transition } from '../../../agents/agent.ts';
import { SlateReplay, scratchObservation } from '../../../agents/rl/replay.ts';
import { Rng } from '../../../sim/rng.ts';
import { snapshot } from '../helpers.ts';
import { tinyWorld } from './tiny-world.ts';

const SEED = { experiment: 9, run: 0 };

/** One round of the tiny world, a slate per row (two candidates each), as the loop hands it to an agent. */
function round(
  env: ReturnType<typeof tinyWorld>,
  slate: number[],
  episode: number | number[],
  step: number | number[],
): Transition {
  const rows = env.spec.batchSize;
  const before = snapshot(env.observation);
  const action = allocateAction(rows, 2);
  action.slates.set(slate);
  const result = env.step(action.slates);
  const terminated = Uint8Array.from({ length: rows }, (_, row) =>
    result.done[row] === 1 && result.truncated[row] === 0 ? 1 : 0,
  );
  return {
    before,
    action,
    signals: Float32Array.from(result.signals),
    reward: Float32Array.from(result.reward),
    impressions: Int32Array.from(result.impressions),
    after: snapshot(env.observation),
    hasNext: terminated.map((t) => 1 - t),
    episode: Int32Array.from(typeof episode === 'number' ? [episode] : episode),
    step: Int32Array.from(typeof step === 'number' ? [step] : step),
    terminated,
    truncated: new Uint8Array(rows),
    sessionEnded: Uint8Array.from(result.sessionEnded),
    sessionEndReason: Uint8Array.from(result.sessionEndReason),
    stepMinutes: Float64Array.from(result.stepMinutes),
    hoursToNextSession: Float64Array.from(result.hoursToNextSession),
  };
}

/** The slot clicked in row `row` of a round of the tiny world (one click signal per slot), or -1. */
const clickedSlot = (t: Transition) => (row: number) =>
  t.signals[row * 2] > 0 ? 0 : t.signals[row * 2 + 1] > 0 ? 1 : -1;

describe('slate replay', () => {
  it("keeps each step's observation, slate, choice and reward, and gives a step its successor's slate", () => {
    const env = tinyWorld(SEED, 1);
    const replay = new SlateReplay(env.spec, 10);
    env.resetRow(0, 0);
    const first = round(env, [2, 3], 0, 0); // no item 0: the episode goes on
    replay.add(first);
    expect(replay.nextKnown[0]).toBe(0);
    const second = round(env, [1, 2], 0, 1);
    replay.add(second);
    expect([...replay.nextSlates.subarray(0, 2)]).toEqual([1, 2]);
    expect(replay.nextKnown[0]).toBe(1);
    expect([...replay.slates.subarray(0, 4)]).toEqual([2, 3, 1, 2]);
    expect(replay.reward[0]).toBe(first.reward[0]);
    expect(replay.chosen[0]).toBe(clickedSlot(first)(0));
    // The observations read back as they were: steps left 3, then 2.
    const rows = scratchObservation(env.spec, 2);
    replay.before.read(0, rows, 0);
    replay.after.read(0, rows, 1);
    expect([...rows.userFeatures]).toEqual([1, 0, 0, 0, 1, 0]);
    expect([...rows.itemFeatures.subarray(0, 16)]).toEqual([...env.observation.itemFeatures]);
  });

  it('does not link steps of different episodes, nor a step whose slot was overwritten, and samples only what can be bootstrapped', () => {
    const env = tinyWorld(SEED, 1);
    const replay = new SlateReplay(env.spec, 2);
    env.resetRow(0, 0);
    const a = round(env, [2, 3], 0, 0);
    replay.add(a);
    env.resetRow(0, 1);
    const b = round(env, [1, 3], 1, 0); // another episode: a keeps no next slate
    replay.add(b);
    expect(replay.nextKnown[0]).toBe(0);
    const c = round(env, [1, 2], 1, 1); // overwrites slot 0 (a), completes b in slot 1
    replay.add(c);
    expect(replay.nextKnown[1]).toBe(1);
    const d = round(env, [2, 3], 1, 2); // the episode's last step (3 steps): terminal, overwrites b
    replay.add(d);
    expect(replay.terminal[1]).toBe(1);
    expect(replay.hasNext[1]).toBe(0);
    // Slot 0 holds c (its next step, d, is slot 1: linked); slot 1 holds d (terminal: usable by SARSA).
    expect(replay.nextKnown[0]).toBe(1);
    const out = new Int32Array(50);
    expect(replay.sample(new Rng('sample'), 50, true, out)).toBe(50);
    expect(new Set(out)).toEqual(new Set([0, 1]));
  });

  it('samples a step whose next slate is not known yet for Q-learning, never for SARSA', () => {
    const env = tinyWorld(SEED, 1);
    const replay = new SlateReplay(env.spec, 4);
    env.resetRow(0, 0);
    const a = round(env, [2, 3], 0, 0);
    replay.add(a);
    const b = round(env, [1, 2], 0, 1); // completes a; b itself waits for its successor
    replay.add(b);
    const out = new Int32Array(200);
    expect(replay.sample(new Rng('q'), 200, false, out)).toBe(200);
    expect(new Set(out)).toEqual(new Set([0, 1]));
    expect(replay.sample(new Rng('sarsa'), 200, true, out)).toBe(200);
    expect(new Set(out)).toEqual(new Set([0]));
  });

  it("does not link a row's step to a slot other rows overwrote meanwhile (a buffer smaller than a round)", () => {
    const env = tinyWorld(SEED, 3);
    const replay = new SlateReplay(env.spec, 2);
    for (let row = 0; row < 3; row++) env.resetRow(row, row);
    const first = round(env, [2, 3, 2, 3, 2, 3], [0, 1, 2], [0, 0, 0]);
    replay.add(first);
    // Row 0's step went to slot 0, row 1's to slot 1, row 2's over row 0's in slot 0.
    const second = round(env, [1, 2, 1, 2, 1, 2], [0, 1, 2], [1, 1, 1]);
    replay.add(second);
    // Each row's first step had been overwritten by the time its second came (row 0's by row 2's
    // in the first round, the others by this round's writes), so no second step may be written
    // into a slot as its predecessor's next slate: the slots hold second steps, none linked yet.
    // (Linking by slot alone would mark slot 0 as linked.)
    expect(replay.size).toBe(2);
    expect([...replay.nextKnown]).toEqual([0, 0]);
  });
});
