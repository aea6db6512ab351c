// Ground truth is out of reach through the API (policies/policy.ts): a policy is built from the
// world's shape alone, an oracle gets the truth through createPolicy, and the reports note the
// policies and worlds that read part of it (greedy-pctr's choice model, the feed's full
// observability). What this guards against is mistakes, not malice: a user's file runs in the same
// process and could import the world's modules (README, "A policy in your own file").
import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../lab/config/config.ts';
import { defaultRegistries } from '../../lab/config/registries.ts';
import { experimentNotes } from '../../lab/report/outputs.ts';
import { policies } from '../../policies/index.ts';
import { createPolicy, type AnyPolicyDefinition } from '../../policies/policy.ts';
import { defaultParams } from '../../sim/params.ts';
import { feed } from '../../sim/feed/env.ts';

const env = feed.create(defaultParams(feed.params), { seed: { experiment: 0, run: 0 }, batchSize: 2 });

/** The context `definition` is built with by createPolicy. */
function contextOf(definition: AnyPolicyDefinition): Record<string, unknown> {
  let seen: Record<string, unknown> = {};
  const spy = definition.evaluationOnly
    ? {
        ...definition,
        createWithTruth: (values: never, context: never) => {
          seen = context;
          return definition.createWithTruth(values, context);
        },
      }
    : {
        ...definition,
        create: (values: never, context: never) => {
          seen = context;
          return definition.create(values, context);
        },
      };
  createPolicy(spy as AnyPolicyDefinition, defaultParams(definition.params) as never, env);
  return seen;
}

describe('ground truth through the API', () => {
  it('a policy is built from the world’s shape alone: no env, no truth in its context', () => {
    for (const [kind, definition] of Object.entries(policies)) {
      if (definition.evaluationOnly) continue;
      expect(Object.keys(contextOf(definition)), kind).toEqual(['spec']);
    }
  });

  it('only oracles (evaluationOnly) get the truth, and only through createPolicy', () => {
    const oracles = Object.entries(policies).filter(([, definition]) => definition.evaluationOnly);
    expect(oracles.map(([kind]) => kind)).toEqual(['oracle-myopic', 'oracle-quality']);
    for (const [kind, definition] of oracles) {
      expect(Object.keys(contextOf(definition)).sort(), kind).toEqual(['spec', 'truth']);
      expect(contextOf(definition).truth).toBe(env.truth);
      expect('create' in definition, kind).toBe(false);
    }
  });

  it("the old way in, a policy's context.env.truth, is gone", () => {
    let reached: unknown = 'not called';
    const sneaky = {
      name: 'sneaky',
      summary: 'reads the truth the old way',
      params: {},
      create: (_values: unknown, context: { env?: { truth?: unknown } }) => {
        reached = context.env?.truth;
        return { act() {} };
      },
    };
    createPolicy(sneaky as never, {} as never, env);
    expect(reached).toBeUndefined();
  });
});

describe('partial oracles are noted in reports', () => {
  const config = (kind: string, observability: string) =>
    ({
      world: { preset: 'feed', params: { ...defaultParams(feed.params), observability } },
      agents: [{ name: kind, kind, params: {} }],
    }) as unknown as ExperimentConfig;

  it("greedy-pctr ranks with the world's own choice model", () => {
    const notes = experimentNotes(config('greedy-pctr', 'history'), defaultRegistries);
    expect(notes).toEqual([
      expect.stringMatching(/^greedy-pctr: ranks with the world's own choice model .*partial oracle/),
    ]);
    expect(experimentNotes(config('random', 'history'), defaultRegistries)).toEqual([]);
  });

  it("the feed's full and noisy observability carry users' true interests", () => {
    expect(experimentNotes(config('random', 'full'), defaultRegistries)).toEqual([
      expect.stringMatching(/^observability is full: observations carry every user's true interests/),
    ]);
    expect(experimentNotes(config('random', 'noisy'), defaultRegistries)).toEqual([
      expect.stringMatching(/^observability is noisy: .*true interests plus noise/),
    ]);
  });
});
