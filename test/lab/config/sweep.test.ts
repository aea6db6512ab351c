// Config `sweep:` and `tuning:`: a swept agent becomes its named variants, each checked like any
// agent; problems name the sweep's own fields, once.
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../../lab/config/config.ts';

const base = {
  name: 'sw',
  world: { preset: 'bandit', params: { catalog: 20, candidates: 5, slateSize: 2, horizon: 6 } },
  seeds: 3,
  agents: [
    { name: 'random', kind: 'random' },
    { name: 'linucb', kind: 'linucb', params: { ridge: 2 } },
    { name: 'eg', kind: 'epsilon-greedy' },
  ],
  training: { steps: 1000 },
};

/** The one-line problems validateConfig reports for `raw`. */
function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'sw.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  return [];
}

describe('sweep', () => {
  it('replaces a swept agent by every combination of its grid, in place, named by what each sets', () => {
    const config = validateConfig(
      { ...base, sweep: { agents: { linucb: { grid: { alpha: [0.1, 2], perArm: [true, false] } } } } },
      'sw.yaml',
    );
    expect(config.agents.map((agent) => agent.name)).toEqual([
      'random',
      'linucb_alpha-0.1_perArm-true',
      'linucb_alpha-0.1_perArm-false',
      'linucb_alpha-2_perArm-true',
      'linucb_alpha-2_perArm-false',
      'eg',
    ]);
    const variant = config.agents[3];
    // The agent's own params, then the variant's over them; defaults filled in as for any agent.
    expect(variant.params).toMatchObject({ alpha: 2, perArm: true, ridge: 2 });
    expect(variant.variant).toEqual({ agent: 'linucb', params: { alpha: 2, perArm: true } });
    expect(config.agents[0].variant).toBeUndefined();
    // Variants with other parameters draw other exploration streams (a stream key per parameters).
    expect(new Set(config.agents.slice(1, 5).map((agent) => agent.streamKey)).size).toBe(4);
    expect(config.seeds).toEqual([0, 1, 2]);
    expect(config.tuning).toBeUndefined();
  });

  it('takes a list of variants, and names a variant by number when its name would be too long for a file', () => {
    const long = 'x'.repeat(70);
    const config = validateConfig(
      {
        ...base,
        sweep: {
          agents: { eg: { variants: [{ epsilon: 0.05 }, { epsilon: 0.2, epsilonFinal: 0.01, decaySteps: 500 }] } },
        },
      },
      'sw.yaml',
    );
    expect(config.agents.map((agent) => agent.name).slice(2)).toEqual([
      'eg_epsilon-0.05',
      'eg_epsilon-0.2_epsilonFinal-0.01_decaySteps-500',
    ]);
    const numbered = validateConfig(
      {
        ...base,
        agents: [{ name: long.slice(0, 60), kind: 'epsilon-greedy' }],
        sweep: { agents: { [long.slice(0, 60)]: { grid: { epsilon: [0.1, 0.2] } } } },
      },
      'sw.yaml',
    );
    expect(numbered.agents.map((agent) => agent.name)).toEqual([`${long.slice(0, 60)}_v0`, `${long.slice(0, 60)}_v1`]);
  });

  it("reports a variant's bad parameter once, at the sweep's field, and a sweep's own mistakes by field", () => {
    expect(problems({ ...base, sweep: { agents: { linucb: { grid: { alpha: [0.1, 1], lambda: [1, 2] } } } } })).toEqual(
      ['sw.yaml: sweep.agents.linucb.grid.lambda: unknown parameter; known: alpha, features, perArm, ridge'],
    );
    expect(problems({ ...base, sweep: { agents: { linucb: { grid: { ridge: [1, -1] } } } } })).toEqual([
      'sw.yaml: sweep.agents.linucb.grid.ridge: must be at least 1e-9, got -1',
    ]);
    expect(problems({ ...base, sweep: { agents: { lincub: { grid: { alpha: [1] } } } } })[0]).toBe(
      'sw.yaml: sweep.agents.lincub: no agent is named "lincub"; sweep one of: random, linucb, eg',
    );
    expect(problems({ ...base, sweep: { agents: { linucb: { alpha: [1, 2] } } } })[0]).toMatch(
      /^sw\.yaml: sweep\.agents\.linucb: give a grid or a list of variants, e\.g\./,
    );
    expect(problems({ ...base, sweep: { agents: { linucb: { grid: { alpha: 1 } } } } })[0]).toBe(
      'sw.yaml: sweep.agents.linucb.grid.alpha: give a list of at least one value, e.g. alpha: [0.1, 1]',
    );
    expect(problems({ ...base, sweep: { world: { grid: { catalog: [10, 20] } } } })[0]).toMatch(
      /^sw\.yaml: sweep\.world: a world sweep is several experiments \(other users in each\): run it with slatelab run/,
    );
    expect(
      problems({ ...base, baseline: 'linucb', sweep: { agents: { linucb: { grid: { alpha: [1, 2] } } } } }),
    ).toEqual([
      'sw.yaml: baseline: "linucb" is swept, so it is several agents; name an agent that is not swept (or leave baseline out: the first agent)',
    ]);
    // Two agents of one swept name, and an agent named like an object's own property.
    expect(
      problems({
        ...base,
        agents: [...base.agents, { name: 'linucb', kind: 'linucb' }],
        sweep: { agents: { linucb: { grid: { alpha: [1, 2] } } } },
      }),
    ).toEqual([
      'sw.yaml: agents[3].name: duplicate agent name "linucb" (also agents[1]); give each agent its own name',
    ]);
    expect(
      validateConfig(
        {
          ...base,
          agents: [{ name: 'constructor', kind: 'random' }, ...base.agents],
          sweep: { agents: { eg: { grid: { epsilon: [0.1] } } } },
        },
        'sw.yaml',
      ).agents.map((agent) => agent.name),
    ).toEqual(['constructor', 'random', 'linucb', 'eg_epsilon-0.1']);
    // A variant's name taken by an agent of the config: the variant is numbered instead.
    const clash = validateConfig(
      {
        ...base,
        agents: [...base.agents, { name: 'linucb_alpha-1', kind: 'random' }],
        sweep: { agents: { linucb: { grid: { alpha: [1, 2] } } } },
      },
      'sw.yaml',
    );
    expect(clash.agents.map((agent) => agent.name)).toEqual([
      'random',
      'linucb_v0',
      'linucb_alpha-2',
      'eg',
      'linucb_alpha-1',
    ]);
  });
});

describe('tuning', () => {
  const swept = { ...base, sweep: { agents: { linucb: { grid: { alpha: [0.1, 1] } } } } };

  it('runs every seed: the reporting seeds, then the tuning seeds (a list, or a count after the last reporting seed)', () => {
    const listed = validateConfig({ ...swept, tuning: { seeds: [10, 11] } }, 'sw.yaml');
    expect(listed.seeds).toEqual([0, 1, 2, 10, 11]);
    expect(listed.tuning).toEqual({ seeds: [10, 11], metric: 'return', better: 'higher' });
    const counted = validateConfig(
      { ...swept, seeds: [4, 7], tuning: { seeds: 2, metric: 'regret', better: 'lower' } },
      'sw.yaml',
    );
    expect(counted.seeds).toEqual([4, 7, 8, 9]);
    expect(counted.tuning).toEqual({ seeds: [8, 9], metric: 'regret', better: 'lower' });
  });

  it('refuses tuning seeds that are reporting seeds, tuning without a sweep, and an unknown metric', () => {
    expect(problems({ ...swept, tuning: { seeds: [2, 3] } })).toEqual([
      'sw.yaml: tuning.seeds: 2 is also reporting seeds; tuning seeds must be fresh ones (e.g. a count: tuning: { seeds: 3 } takes the 3 after the last reporting seed)',
    ]);
    expect(problems({ ...base, tuning: { seeds: 2 } })).toEqual([
      'sw.yaml: tuning: tunes the variants of a sweep: add sweep: { agents: { <agent>: { grid: {...} } } }, or remove tuning',
    ]);
    expect(problems({ ...swept, tuning: { seeds: 2, metric: 'retrun' } })).toEqual([
      'sw.yaml: tuning.metric: unknown metric "retrun"; known: return, episodeLength, clicks, regret, optimalReturn (did you mean "return"?)',
    ]);
    expect(problems({ ...swept, tuning: { seeds: [1.5] } })[0]).toBe(
      'sw.yaml: tuning.seeds[0]: expected a whole number >= 0, got 1.5',
    );
    expect(problems({ ...swept, tuning: { seeds: 2, better: 'more' } })[0]).toMatch(/^sw\.yaml: tuning\.better: /);
    // A sweep that makes no variant has nothing to tune; the seeds in all are capped.
    expect(problems({ ...base, sweep: {}, tuning: { seeds: 2 } })).toEqual([
      'sw.yaml: tuning: tunes the variants of a sweep: add sweep: { agents: { <agent>: { grid: {...} } } }, or remove tuning',
    ]);
    expect(problems({ ...swept, tuning: { seeds: 9_998 } })).toEqual([
      'sw.yaml: tuning.seeds: 3 reporting and 9998 tuning seeds are more than 10000 in all; every seed is a run of every agent',
    ]);
    expect(problems({ ...swept, tuning: { seeds: 100_000 } })[0]).toMatch(
      /^sw\.yaml: tuning\.seeds: must be at most 10000 seeds/,
    );
  });
});
