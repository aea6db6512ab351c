// Saving and loading what an agent learned (agents/state.ts, Agent.save/load): a fresh agent that
// loads a trained one's state acts exactly like it, the state survives its text form bit for bit,
// and a state that does not fit the agent (another world shape) is refused in one line.
import { beforeAll, describe, expect, it } from 'vitest';
import { allocateAction, type Agent } from '../../agents/agent.ts';
import { useBackend } from '../../agents/nets/backend.ts';
import { decodeState, encodeState, StateMismatch, type AgentState } from '../../agents/state.ts';
import type { Observation } from '../../sim/env.ts';
import { AGENT_KINDS, banditWorld, makeAgent, rowStreams, snapshot, trainFor, type AgentKind } from './helpers.ts';

const ROWS = 8;
const WORLD = { catalog: 12, candidates: 6, slateSize: 3, dim: 3 };
const K = WORLD.slateSize;

/** Refit or re-cluster every 100 steps, so that 400 training steps leave something learned. */
function overridesOf(kind: AgentKind): Record<string, unknown> {
  return kind === 'pctr' || kind === 'ranker' ? { retrainEvery: 100 } : kind === 'cluster' ? { reclusterEvery: 100 } : {};
}

function fresh(kind: AgentKind, world = WORLD): Agent {
  const env = banditWorld(world, 4);
  return makeAgent(kind, { ...env.spec, batchSize: ROWS }, overridesOf(kind)).agent;
}

function trained(kind: AgentKind): Agent {
  const env = banditWorld(WORLD, 4);
  const { agent, key } = makeAgent(kind, { ...env.spec, batchSize: ROWS }, overridesOf(kind));
  trainFor(env, agent, key, 400);
  return agent;
}

/** Eight fresh users: evaluation episodes `first`.. first + 7, one per row. */
function users(first: number): Observation {
  const env = banditWorld(WORLD, ROWS);
  for (let row = 0; row < ROWS; row++) env.resetRow(row, first + row);
  return snapshot(env.observation);
}

function evalSlates(agent: Agent, observation: Observation): number[] {
  const action = allocateAction(ROWS, K);
  agent.act(observation, rowStreams('eval', ROWS), action, 'eval');
  return Array.from(action.slates);
}

// The ranker's network needs its backend.
beforeAll(() => useBackend('wasm'), 60_000);

describe('saving and loading an agent', () => {
  for (const kind of AGENT_KINDS) {
    describe(kind, () => {
      it('a fresh agent that loads the saved state (through its text) plays the trained agent\'s slates, and saves the same state again', () => {
        const original = trained(kind);
        const text = encodeState(original.save!());
        const copy = fresh(kind);
        copy.load!(decodeState(text));
        expect(encodeState(copy.save!())).toBe(text);
        for (const first of [0, 8, 16]) {
          const observation = users(first);
          expect(evalSlates(copy, observation)).toEqual(evalSlates(original, observation));
        }
      });

      it('the state holds what was learned: it differs from an untrained agent\'s', () => {
        expect(encodeState(trained(kind).save!())).not.toBe(encodeState(fresh(kind).save!()));
      });

      it('refuses, in one line, a state saved in a world of another shape', () => {
        const state = trained(kind).save!();
        const other = fresh(kind, { ...WORLD, catalog: 16, dim: 4 });
        let error: unknown = null;
        try {
          other.load!(state);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(StateMismatch);
        expect((error as Error).message).not.toContain('\n');
        expect((error as Error).message).toMatch(/saved/);
      });

      it('trains on after a load', () => {
        const copy = fresh(kind);
        copy.load!(trained(kind).save!());
        const env = banditWorld(WORLD, 4);
        const { key } = makeAgent(kind, env.spec, overridesOf(kind));
        trainFor(env, copy, key, 200);
        const observation = users(0);
        expect(evalSlates(copy, observation)).toHaveLength(ROWS * K);
      });
    });
  }
});

describe('the text form of a state', () => {
  it('refuses a damaged array or a number that is not one, naming what is wrong', () => {
    expect(() => decodeState('{"w": {"$float64": "not base64!!"}}')).toThrow(/^a saved float64 array is not valid base64 \(a damaged file\?\)$/);
    expect(() => decodeState('{"w": {"$float64": "AAAAAAAA8D8"}}')).toThrow(StateMismatch); // base64 without its padding
    expect(() => decodeState('{"t": {"$number": "hello"}}')).toThrow(/^a saved number is "hello", not NaN, Infinity or -Infinity$/);
    expect(() => decodeState('[1, 2]')).toThrow(/a mapping/);
  });

  it('keeps typed arrays bit for bit (views at an offset included), numbers JSON has no word for, and nesting', () => {
    const backing = new Float32Array([9, 1.1, -0, 3.4e38, Number.MIN_VALUE]);
    const state: AgentState = {
      f64: Float64Array.from([0.1, -0, Number.MAX_VALUE, 5e-324, Number.NaN]),
      f32: backing.subarray(1),
      i32: Int32Array.from([-(2 ** 31), 0, 2 ** 31 - 1]),
      numbers: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5],
      nested: { list: [Float64Array.from([1, 2]), null, true, 'text'] },
    };
    const back = decodeState(encodeState(state));
    const bytes = (array: ArrayBufferView) => Array.from(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    expect(bytes(back.f64 as Float64Array)).toEqual(bytes(state.f64 as Float64Array));
    expect(back.f32).toBeInstanceOf(Float32Array);
    expect(bytes(back.f32 as Float32Array)).toEqual(bytes(backing.subarray(1)));
    expect(Array.from(back.i32 as Int32Array)).toEqual([-(2 ** 31), 0, 2 ** 31 - 1]);
    expect(back.numbers).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5]);
    expect((back.nested as { list: unknown[] }).list.slice(1)).toEqual([null, true, 'text']);
    expect(Array.from((back.nested as { list: Float64Array[] }).list[0])).toEqual([1, 2]);
  });
});
