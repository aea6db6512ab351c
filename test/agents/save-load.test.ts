// Saving and loading what an agent learned (agents/state.ts, Agent.save/load): a fresh agent that
// loads a trained one's state acts exactly like it, the state survives its text form bit for bit,
// and a state that does not fit the agent (another world shape) is refused in one line.
import { beforeAll, describe, expect, it } from 'vitest';
import { allocateAction, type Agent } from '../../agents/agent.ts';
import { useBackend } from '../../agents/nets/backend.ts';
import { decodeState, encodeState, StateMismatch, type AgentState } from '../../agents/state.ts';
import type { Observation } from '../../sim/env.ts';
import {
  AGENT_KINDS,
  contractAgent,
  contractSetting,
  contractTrained,
  contractUsers,
  contractWorld,
  makeAgent,
  rowStreams,
  trainFor,
  type ContractSetting,
} from './helpers.ts';

const ROWS = 8;

function evalSlates(agent: Agent, observation: Observation, k: number): number[] {
  const action = allocateAction(ROWS, k);
  agent.act(observation, rowStreams('eval', ROWS), action, 'eval');
  return Array.from(action.slates);
}

// The networks (ranker, slateq) need their backend.
beforeAll(() => useBackend('wasm'), 60_000);

// Every registered agent, in the first small world it supports, with the small settings of
// test/agents/helpers.ts (the supervised agents refit every 100 steps, so that 400 training
// steps leave something learned).
describe('saving and loading an agent', () => {
  for (const kind of AGENT_KINDS) {
    describe(kind, () => {
      let setting: ContractSetting;
      let k: number;
      beforeAll(() => {
        setting = contractSetting(kind);
        k = setting.spec.slateSize;
      });

      it("a fresh agent that loads the saved state (through its text) plays the trained agent's slates, and saves the same state again", () => {
        const original = contractTrained(setting, ROWS);
        const text = encodeState(original.save!());
        const copy = contractAgent(setting, ROWS);
        copy.load!(decodeState(text));
        expect(encodeState(copy.save!())).toBe(text);
        for (const first of [0, 8, 16]) {
          const observation = contractUsers(setting, ROWS, first);
          expect(evalSlates(copy, observation, k)).toEqual(evalSlates(original, observation, k));
        }
      });

      it("the state holds what was learned: it differs from an untrained agent's", () => {
        const untrained = encodeState(contractAgent(setting, ROWS).save!());
        expect(encodeState(contractTrained(setting, ROWS).save!())).not.toBe(untrained);
      });

      it('refuses, in one line, a state saved in a world of another shape', () => {
        const state = contractTrained(setting, ROWS).save!();
        const other = contractAgent(setting, ROWS, true);
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
        const copy = contractAgent(setting, ROWS);
        copy.load!(contractTrained(setting, ROWS).save!());
        const env = contractWorld(setting, 4);
        const { key } = makeAgent(kind, env.spec, setting.overrides);
        trainFor(env, copy, key, 200);
        expect(evalSlates(copy, contractUsers(setting, ROWS), k)).toHaveLength(ROWS * k);
      });
    });
  }
});

describe('the text form of a state', () => {
  it('refuses a damaged array or a number that is not one, naming what is wrong', () => {
    expect(() => decodeState('{"w": {"$float64": "not base64!!"}}')).toThrow(
      /^a saved float64 array is not valid base64 \(a damaged file\?\)$/,
    );
    expect(() => decodeState('{"w": {"$float64": "AAAAAAAA8D8"}}')).toThrow(StateMismatch); // base64 without its padding
    expect(() => decodeState('{"t": {"$number": "hello"}}')).toThrow(
      /^a saved number is "hello", not NaN, Infinity or -Infinity$/,
    );
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
    const bytes = (array: ArrayBufferView) =>
      Array.from(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    expect(bytes(back.f64 as Float64Array)).toEqual(bytes(state.f64 as Float64Array));
    expect(back.f32).toBeInstanceOf(Float32Array);
    expect(bytes(back.f32 as Float32Array)).toEqual(bytes(backing.subarray(1)));
    expect(Array.from(back.i32 as Int32Array)).toEqual([-(2 ** 31), 0, 2 ** 31 - 1]);
    expect(back.numbers).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5]);
    expect((back.nested as { list: unknown[] }).list.slice(1)).toEqual([null, true, 'text']);
    expect(Array.from((back.nested as { list: Float64Array[] }).list[0])).toEqual([1, 2]);
  });
});
