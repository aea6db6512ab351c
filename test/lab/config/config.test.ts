import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  MAX_EPISODES,
  MAX_SEEDS,
  parseConfigText,
  validateConfig,
} from '../../../lab/config/config.ts';
import type { Registries } from '../../../lab/config/registries.ts';
import { jsonProblem } from '../../../lab/config/json-problem.ts';
import { randomPolicy } from '../../../policies/random.ts';
import { defaultParams } from '../../../sim/params.ts';
import { longTermSatisfaction } from '../../../sim/presets/long-term-satisfaction.ts';
import {
  interestEvolutionChoiceModel,
  recsimInterestEvolution,
  recsimInterestEvolutionParams,
  type InterestEvolutionParams,
} from '../../../sim/presets/recsim-interest-evolution.ts';
import { definePolicy } from '../../../policies/policy.ts';
import { hasField } from '../../../sim/env.ts';

// Local registries, so these specifications do not move when worlds and policies are added.
const onlyFirst = definePolicy({
  name: 'first-k',
  summary: 'test: the first K candidates',
  params: {
    alpha: { type: 'number', default: 0.5, min: 0, max: 1, doc: 'test parameter' },
    mode: { type: 'enum', default: 'a', values: ['a', 'b'], doc: 'test enum' },
  },
  create: () => ({ act() {} }),
});
const needsPopularity = definePolicy({
  name: 'needs-popularity',
  summary: 'test: refuses worlds without popularity counters',
  params: {},
  unsupported: (spec) => (hasField(spec, 'views') ? null : 'no popularity counters'),
  create: () => ({ act() {} }),
});
const registries: Registries = {
  worlds: { feed: recsimInterestEvolution, 'recsim-interest-evolution': recsimInterestEvolution },
  policies: { random: randomPolicy, 'first-k': onlyFirst, 'needs-popularity': needsPopularity },
};

const valid = () => ({
  name: 'test',
  world: { preset: 'recsim-interest-evolution', params: { candidates: 10, slateSize: 2 } },
  seeds: [0, 1, 2, 3],
  agents: [
    { name: 'random', kind: 'random' },
    { name: 'first', kind: 'first-k', params: { alpha: 0.25 } },
  ],
  evaluation: { episodes: 50, batchSize: 8 },
});

/** The issues of an invalid config; fails the test if it validates. */
function issuesOf(raw: unknown): string[] {
  try {
    validateConfig(raw, 'config.yaml', registries);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    for (const issue of issues) {
      expect(issue).not.toContain('\n');
      expect(issue.startsWith('config.yaml: ')).toBe(true);
    }
    return [...issues];
  }
  throw new Error('expected the config to be rejected');
}

/** The single issue naming `field`. */
function issueAt(raw: unknown, field: string): string {
  const matching = issuesOf(raw).filter((issue) => issue.startsWith(`config.yaml: ${field}: `));
  expect(matching, `an issue at ${field}`).toHaveLength(1);
  return matching[0];
}

describe('config loading: a valid config', () => {
  it('resolves every default: experiment seed, world and agent parameters, evaluation', () => {
    const config = validateConfig(valid(), 'config.yaml', registries);
    expect(config.seed).toBe(0);
    expect(config.seeds).toEqual([0, 1, 2, 3]);
    expect(config.world.params.timeBudget).toBe(200);
    expect(config.world.params.slateSize).toBe(2);
    expect(config.agents[1].params).toEqual({ alpha: 0.25, mode: 'a' });
    expect(config.agents[0].params).toEqual({});
    expect(config.evaluation).toEqual({
      episodes: 50,
      batchSize: 8,
      maxStepsPerEpisode: 100_000,
      actTimeLimitMs: 5000,
      workerHeapMb: 4096,
    });
  });

  it('chooses the neural-network backend explicitly: wasm by default, cpu or node when asked, anything else refused by name', () => {
    expect(validateConfig(valid(), 'config.yaml', registries).backend).toBe('wasm');
    expect(validateConfig({ ...valid(), backend: 'cpu' }, 'config.yaml', registries).backend).toBe('cpu');
    expect(issueAt({ ...valid(), backend: 'gpu' }, 'backend')).toMatch(/wasm.*cpu.*node/);
  });

  it('names the baseline of the paired comparisons with baseline: (absent: the first agent, no key)', () => {
    expect(validateConfig({ ...valid(), baseline: 'first' }, 'config.yaml', registries).baseline).toBe('first');
    expect(Object.keys(validateConfig(valid(), 'config.yaml', registries))).not.toContain('baseline');
    expect(issueAt({ ...valid(), baseline: 'frist' }, 'baseline')).toBe(
      'config.yaml: baseline: unknown agent "frist"; known: random, first (did you mean "first"?)',
    );
    expect(issueAt({ ...valid(), baseline: 3 }, 'baseline')).toBe('config.yaml: baseline: expected a string, got 3');
  });

  it('turns a seed count N into seeds 0..N-1', () => {
    expect(validateConfig({ ...valid(), seeds: 3 }, 'config.yaml', registries).seeds).toEqual([0, 1, 2]);
  });

  it('defaults the world to feed and the name to the file name', () => {
    const { name: _name, world: _world, ...rest } = valid();
    const config = validateConfig(rest, 'experiments/my-run.yaml', registries);
    expect(config.world.preset).toBe('feed');
    expect(config.name).toBe('my-run');
  });

  it('takes a world given without a preset as the default world, its parameters checked and defaulted', () => {
    const { world: _world, ...rest } = valid();
    const config = validateConfig({ ...rest, world: { params: { candidates: 12 } } }, 'config.yaml', registries);
    const params = { ...defaultParams(recsimInterestEvolution.params), candidates: 12 };
    expect(config.world).toEqual({ preset: 'feed', params });
    const misspelt = { ...rest, world: { params: { candidatez: 12 } } };
    expect(issueAt(misspelt, 'world.params.candidatez')).toMatch(/unknown parameter/);
  });

  it('reads YAML and JSON files and applies command-line overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slatelab-config-'));
    const yamlFile = join(dir, 'x.yaml');
    writeFileSync(
      yamlFile,
      'name: x\nworld: { preset: recsim-interest-evolution }\nagents:\n  - { name: random, kind: random }\n',
    );
    const fromYaml = loadConfig(yamlFile, registries, { seeds: 2, episodes: 7, batchSize: 3 });
    expect(fromYaml.seeds).toEqual([0, 1]);
    expect(fromYaml.evaluation.episodes).toBe(7);
    expect(fromYaml.evaluation.batchSize).toBe(3);
    const jsonFile = join(dir, 'x.json');
    writeFileSync(jsonFile, JSON.stringify(valid()));
    expect(loadConfig(jsonFile, registries).agents.map((a) => a.name)).toEqual(['random', 'first']);
  });
});

describe('config loading: every problem is one line naming the field, the value and the fix', () => {
  it('unknown world preset, with the known ones and a suggestion', () => {
    const issue = issueAt({ ...valid(), world: { preset: 'fed' } }, 'world.preset');
    expect(issue).toContain('unknown world "fed"');
    expect(issue).toContain('known: feed, recsim-interest-evolution');
    expect(issue).toContain('did you mean "feed"?');
  });

  it('unknown agent kind, with the known ones and a suggestion', () => {
    const raw = valid();
    raw.agents[1].kind = 'randon';
    const issue = issueAt(raw, 'agents[1].kind');
    expect(issue).toContain('unknown policy or agent "randon"');
    expect(issue).toContain('did you mean "random"?');
  });

  it('wrong types', () => {
    const issue = issueAt({ ...valid(), evaluation: { episodes: 'many' } }, 'evaluation.episodes');
    expect(issue).toContain('expected a number, got "many"');
    expect(issueAt({ ...valid(), seed: 1.5 }, 'seed')).toContain('expected a whole number');
    expect(issueAt({ ...valid(), agents: 'random' }, 'agents')).toContain('expected a list, got "random"');
    expect(issueAt({ ...valid(), seeds: 'all' }, 'seeds')).toContain('got "all"');
    const badParam = valid();
    (badParam.world.params as Record<string, unknown>).candidates = 'ten';
    expect(issueAt(badParam, 'world.params.candidates')).toContain('expected a number, got "ten"');
  });

  it("slate size larger than candidates (the world's cross-field check)", () => {
    const raw = valid();
    raw.world.params = { candidates: 10, slateSize: 12 };
    expect(issueAt(raw, 'world.params.slateSize')).toContain('slate size 12 is larger than candidates 10');
  });

  it('duplicate agent names (also differing only in case, as file names would clash)', () => {
    const raw = valid();
    raw.agents[1].name = 'random';
    expect(issueAt(raw, 'agents[1].name')).toContain('duplicate agent name "random"');
    raw.agents[1].name = 'Random';
    expect(issueAt(raw, 'agents[1].name')).toContain('duplicate agent name "Random"');
  });

  it('agent names that are not safe file names', () => {
    const raw = valid();
    raw.agents[0].name = '../escape';
    expect(issueAt(raw, 'agents[0].name')).toContain('got "../escape"');
  });

  it('unknown parameter, with a suggestion', () => {
    const raw = valid();
    raw.world.params = { candidates: 10, slateSize: 2, videoLenght: 3 } as typeof raw.world.params;
    const issue = issueAt(raw, 'world.params.videoLenght');
    expect(issue).toContain('unknown parameter');
    expect(issue).toContain('did you mean "videoLength"?');
    const agentRaw = valid();
    agentRaw.agents[0].params = { beta: 1 } as never;
    expect(issueAt(agentRaw, 'agents[0].params.beta')).toContain('takes no parameters');
  });

  it('out-of-range and not-allowed parameter values', () => {
    const raw = valid();
    raw.agents[1].params = { alpha: 2, mode: 'c' } as never;
    const issues = issuesOf(raw);
    expect(issues).toContain('config.yaml: agents[1].params.alpha: must be at most 1, got 2');
    expect(issues).toContain('config.yaml: agents[1].params.mode: expected one of a, b, got "c"');
    expect(issueAt({ ...valid(), evaluation: { episodes: 0 } }, 'evaluation.episodes')).toContain(
      'must be at least 1, got 0',
    );
  });

  it('unknown top-level and nested fields', () => {
    expect(issueAt({ ...valid(), agent: [] }, 'agent')).toContain(
      'unknown field; known: name, seed, world, seeds, agents, evaluation, training, backend, baseline, log, sweep, tuning ' +
        '(did you mean "agents"?)',
    );
    expect(issueAt({ ...valid(), evaluation: { episodes: 5, batchsize: 4 } }, 'evaluation.batchsize')).toContain(
      'did you mean "batchSize"?',
    );
  });

  it('a policy that cannot run in the world', () => {
    const raw = valid();
    raw.agents.push({ name: 'pop', kind: 'needs-popularity' });
    expect(issueAt(raw, 'agents[2].kind')).toContain(
      'cannot run in world "recsim-interest-evolution": no popularity counters',
    );
  });

  it('duplicate seeds', () => {
    expect(issueAt({ ...valid(), seeds: [0, 1, 1] }, 'seeds[2]')).toContain('duplicate seed 1');
  });

  it('collects every problem in one pass, shape and names alike', () => {
    const raw = { ...valid(), evaluation: { episodes: -1 }, world: { preset: 'nowhere' } };
    raw.agents[1].kind = 'nothing';
    const issues = issuesOf(raw);
    expect(issues.some((i) => i.includes('evaluation.episodes'))).toBe(true);
    expect(issues.some((i) => i.includes('world.preset'))).toBe(true);
    expect(issues.some((i) => i.includes('agents[1].kind'))).toBe(true);
  });

  it('missing file', () => {
    expect(() => loadConfig('no/such/x.yaml', registries)).toThrow('cannot read config "no/such/x.yaml": no such file');
  });

  it('malformed YAML, with line and column', () => {
    const text = 'name: x\nagents:\n  - { name: random, kind: random\n';
    try {
      parseConfigText(text, 'bad.yaml');
      throw new Error('expected malformed YAML to be rejected');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const [issue] = (error as ConfigError).issues;
      expect(issue).toMatch(/^bad\.yaml:\d+:\d+: malformed YAML: /);
      expect(issue).not.toContain('\n');
    }
    expect(() => parseConfigText('a: 1\na: 2\n', 'dup.yaml')).toThrow(
      /^dup\.yaml:2:1: malformed YAML: Map keys must be unique/,
    );
  });

  it('malformed JSON, with line and column', () => {
    expect(() => parseConfigText('{\n  "name": "x",,\n}', 'bad.json')).toThrow(
      /^bad\.json: malformed JSON at line 2, column \d+: /,
    );
  });

  it('a config that is not a mapping', () => {
    expect(issuesOf([1, 2])[0]).toContain('expected a mapping');
    expect(issuesOf(null)[0]).toContain('got null');
  });
});

/** The one-line issues of a config text that parseConfigText rejects. */
function parseIssues(text: string, file: string): string[] {
  try {
    parseConfigText(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    for (const issue of issues) expect(issue).not.toContain('\n');
    return [...issues];
  }
  throw new Error('expected the text to be rejected');
}

describe('config loading: malformed JSON always says where', () => {
  it('a trailing comma, which JSON.parse reports without a position', () => {
    expect(parseIssues('{"agents": [{"name":"random","kind":"random"},]}', 'bad.json')).toEqual([
      "bad.json: malformed JSON at line 1, column 46: trailing comma before ']'; remove it",
    ]);
  });

  it('YAML in a .json file', () => {
    expect(parseIssues('name: x\nagents: []\n', 'x.json')).toEqual([
      "x.json: malformed JSON at line 1, column 1: expected a value (an object, list, string, number, true, false or null), got 'name' (this looks like YAML; name the file .yaml)",
    ]);
  });

  it('lines and columns count from 1, on the line of the problem', () => {
    const text = '{\n  "name": "x",\n  "agents": [\n    {"name": "a" "kind": "random"}\n  ]\n}\n';
    expect(parseIssues(text, 'x.json')).toEqual([
      `x.json: malformed JSON at line 4, column 18: expected ',' or '}' after a property value, got '"' (a missing comma?)`,
    ]);
    expect(parseIssues('{"a": 1} // note', 'x.json')[0]).toMatch(
      /^x\.json: malformed JSON at line 1, column 10: comments are not allowed/,
    );
    expect(parseIssues('{"a": "x', 'x.json')[0]).toBe(
      'x.json: malformed JSON at line 1, column 7: this string is never closed; add the closing "',
    );
  });

  it('agrees with JSON.parse on what is malformed (mutated configs)', () => {
    const base = JSON.stringify(
      { ...valid(), seeds: [0, -1.5e3, 2], flags: [true, false, null, 'a\\"\u00e9'] },
      null,
      1,
    );
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      ' ',
      '\n',
      'a',
      '0',
      '1',
      '-',
      '.',
      'e',
      '+',
      'u',
      'n',
      '/',
      "'",
      '\u0001',
    ];
    let state = 1;
    const next = (n: number) => {
      state = (state * 48271) % 2147483647;
      return state % n;
    };
    for (let trial = 0; trial < 3000; trial++) {
      let text = base;
      for (let edit = 0; edit <= next(3); edit++) {
        const at = next(text.length + 1);
        text = text.slice(0, at) + alphabet[next(alphabet.length)] + text.slice(at + next(2));
      }
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      expect(jsonProblem(text) === null, text).toBe(parses);
    }
  });
});

describe('config loading: an empty file says what a config needs', () => {
  it.each([
    ['', 'empty.yaml'],
    ['# just a comment\n\n---\n', 'comments.yaml'],
    ['', 'empty.json'],
    [' \n\t\n', 'blank.json'],
  ])('%j in %s', (text, file) => {
    const [issue] = parseIssues(text, file);
    expect(issue).toMatch(
      new RegExp(`^${file.replace('.', '\\.')}: the file is empty; a config is a mapping that needs at least agents `),
    );
    expect(issue).toContain('random');
    expect(issue).not.toContain('null');
  });

  it('through loadConfig too', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'slatelab-config-')), 'empty.yaml');
    writeFileSync(file, '');
    expect(() => loadConfig(file, registries)).toThrow(/empty\.yaml: the file is empty/);
  });
});

describe('config loading: seeds', () => {
  it('names each bad element of a seed list', () => {
    expect(issuesOf({ ...valid(), seeds: [0, 1.5] })).toEqual([
      'config.yaml: seeds[1]: expected a whole number >= 0, got 1.5',
    ]);
    expect(issuesOf({ ...valid(), seeds: [0, -1, 1.5, '2'] })).toEqual([
      'config.yaml: seeds[1]: expected a whole number >= 0, got -1',
      'config.yaml: seeds[2]: expected a whole number >= 0, got 1.5',
      'config.yaml: seeds[3]: expected a whole number >= 0, got "2"',
    ]);
    expect(issueAt({ ...valid(), seeds: [0, 2 ** 60] }, 'seeds[1]')).toContain(
      `must be at most ${Number.MAX_SAFE_INTEGER}`,
    );
  });

  it('asks for at least one seed', () => {
    expect(issuesOf({ ...valid(), seeds: [] })).toEqual([
      'config.yaml: seeds: give at least one seed (a list of whole numbers, or a count)',
    ]);
    expect(issueAt({ ...valid(), seeds: 0 }, 'seeds')).toContain('give at least one seed');
    expect(issueAt({ ...valid(), seeds: 2.5 }, 'seeds')).toContain(
      'expected a count like 4 (seeds 0..3) or a list of whole numbers >= 0',
    );
  });
});

describe('config loading: upper bounds on seeds and episodes', () => {
  it('a seed count or list of at most MAX_SEEDS', () => {
    expect(issuesOf({ ...valid(), seeds: 1e12 })).toEqual([
      `config.yaml: seeds: must be at most ${MAX_SEEDS} seeds, got 1000000000000; every seed is a run of every agent`,
    ]);
    expect(validateConfig({ ...valid(), seeds: MAX_SEEDS }, 'config.yaml', registries).seeds).toHaveLength(MAX_SEEDS);
    const list = Array.from({ length: MAX_SEEDS + 1 }, (_, i) => i);
    expect(issueAt({ ...valid(), seeds: list }, 'seeds')).toContain(
      `must list at most ${MAX_SEEDS} seeds, got ${MAX_SEEDS + 1}`,
    );
  });

  it('at most MAX_EPISODES episodes per run', () => {
    expect(issueAt({ ...valid(), evaluation: { episodes: 1e12 } }, 'evaluation.episodes')).toContain(
      `must be at most ${MAX_EPISODES}, got 1000000000000; a run keeps every episode in memory`,
    );
    expect(
      validateConfig({ ...valid(), evaluation: { episodes: MAX_EPISODES } }, 'config.yaml', registries).evaluation
        .episodes,
    ).toBe(MAX_EPISODES);
  });

  it('command-line overrides go through the same checks and are named', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'slatelab-config-')), 'x.yaml');
    writeFileSync(file, 'world: { preset: recsim-interest-evolution }\nagents: [{ name: random, kind: random }]\n');
    let issues: readonly string[] = [];
    try {
      loadConfig(file, registries, { seeds: 1e12, episodes: 1e12 });
    } catch (error) {
      issues = (error as ConfigError).issues;
    }
    expect(issues).toHaveLength(2);
    expect(issues).toContain(
      `${file}: seeds (set by --seeds): must be at most ${MAX_SEEDS} seeds, got 1000000000000; every seed is a run of every agent`,
    );
    expect(
      issues.some((issue) =>
        issue.startsWith(`${file}: evaluation.episodes (set by --episodes): must be at most ${MAX_EPISODES}`),
      ),
    ).toBe(true);
  });
});

describe("config loading: the world's check rejects parameters that would fail every run", () => {
  const recsim = (params: Record<string, unknown>) => ({
    ...valid(),
    world: { preset: 'recsim-interest-evolution', params },
  });
  /** The choice model of `params` turns the extreme scores -1 and 1 into probabilities without throwing. */
  const acceptsExtremeScores = (params: Partial<InterestEvolutionParams>) => {
    const model = interestEvolutionChoiceModel({ ...defaultParams(recsimInterestEvolutionParams), ...params });
    const out = new Float64Array(3);
    for (const scores of [
      [1, 1],
      [-1, -1],
      [1, -1],
    ]) {
      model.probabilities(Float64Array.from(scores), 2, out);
      expect(out.every((p) => Number.isFinite(p) && p >= 0 && p <= 1)).toBe(true);
    }
  };

  it('exponential cascade: scoreScaling * exp(1) <= 1, and the largest value it names is accepted', () => {
    expect(issuesOf(recsim({ choiceModel: 'exponential-cascade', scoreScaling: 0.4 }))).toEqual([
      'config.yaml: world.params.scoreScaling: with choiceModel exponential-cascade, scoreScaling * exp(score) is a click probability, and a score of 1 (interests are in [-1, 1]) makes it 1.087: must be at most 0.3678, got 0.4',
    ]);
    validateConfig(recsim({ choiceModel: 'exponential-cascade', scoreScaling: 0.3678 }), 'config.yaml', registries);
    acceptsExtremeScores({ choiceModel: 'exponential-cascade', scoreScaling: 0.3678 });
    expect(() => acceptsExtremeScores({ choiceModel: 'exponential-cascade', scoreScaling: 0.4 })).toThrow(
      /lower scoreScaling/,
    );
  });

  it('proportional cascade: scoreScaling * (1 - minNormalizer) <= 1 and minNormalizer <= -1', () => {
    expect(
      issueAt(recsim({ choiceModel: 'cascade', scoreScaling: 0.3, minNormalizer: -3 }), 'world.params.scoreScaling'),
    ).toContain('makes it 1.2: must be at most 0.25, got 0.3');
    validateConfig(
      recsim({ choiceModel: 'cascade', scoreScaling: 0.25, minNormalizer: -3 }),
      'config.yaml',
      registries,
    );
    acceptsExtremeScores({ choiceModel: 'cascade', scoreScaling: 0.25, minNormalizer: -3 });
    expect(issueAt(recsim({ choiceModel: 'cascade', minNormalizer: 0 }), 'world.params.minNormalizer')).toContain(
      'must be at most -1, got 0',
    );
  });

  it('multinomial proportional: non-negative weights that never all vanish', () => {
    expect(issueAt(recsim({ minNormalizer: 0 }), 'world.params.minNormalizer')).toContain('must be at most -1, got 0');
    expect(issueAt(recsim({ noClickMass: -2 }), 'world.params.noClickMass')).toContain(
      'must be at least minNormalizer -1, got -2',
    );
    expect(issueAt(recsim({ noClickMass: -1 }), 'world.params.noClickMass')).toContain('every choice weight 0');
    acceptsExtremeScores({ choiceModel: 'multinomial-proportional', noClickMass: -0.5, minNormalizer: -1 });
  });

  it('long-term satisfaction: engagement that overflows the 32-bit reward', () => {
    const lts: Registries = {
      worlds: { 'long-term-satisfaction': longTermSatisfaction },
      policies: registries.policies,
    };
    const config = (params: Record<string, unknown>) => ({
      ...valid(),
      world: { preset: 'long-term-satisfaction', params },
    });
    const issuesIn = (raw: unknown) => {
      try {
        validateConfig(raw, 'config.yaml', lts);
      } catch (error) {
        return (error as ConfigError).issues;
      }
      return [];
    };
    expect(issuesIn(config({ chocStddev: 40 }))).toEqual([
      'config.yaml: world.params.chocStddev: chocMean + 8 * chocStddev (the log-engagement of a draw 8 standard deviations up) is 325, and engagement above exp(88.72) = 3.4e38 overflows the 32-bit reward to Infinity: must be at most 10.46, got 40',
    ]);
    expect(issuesIn(config({ kaleMean: 1000 }))[0]).toContain('world.params.kaleMean: kaleMean + 8 * kaleStddev');
    expect(issuesIn(config({ chocStddev: 10.46 }))).toEqual([]);
  });
});
