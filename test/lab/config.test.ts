import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText, validateConfig, type Registries } from '../../lab/config.ts';
import { randomPolicy } from '../../policies/random.ts';
import { recsimInterestEvolution } from '../../sim/presets/recsim-interest-evolution.ts';
import { definePolicy } from '../../policies/policy.ts';

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
  unsupported: (spec) => (spec.hasPopularity ? null : 'no popularity counters'),
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
    expect(config.evaluation).toEqual({ episodes: 50, batchSize: 8, maxStepsPerEpisode: 100_000 });
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

  it('reads YAML and JSON files and applies command-line overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slatelab-config-'));
    const yamlFile = join(dir, 'x.yaml');
    writeFileSync(yamlFile, 'name: x\nworld: { preset: recsim-interest-evolution }\nagents:\n  - { name: random, kind: random }\n');
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
    expect(issue).toContain('unknown policy "randon"');
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

  it('slate size larger than candidates (the world\'s cross-field check)', () => {
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
    expect(issueAt({ ...valid(), evaluation: { episodes: 0 } }, 'evaluation.episodes')).toContain('must be at least 1, got 0');
  });

  it('unknown top-level and nested fields', () => {
    expect(issueAt({ ...valid(), agent: [] }, 'agent')).toContain('unknown field; known: name, seed, world, seeds, agents, evaluation (did you mean "agents"?)');
    expect(issueAt({ ...valid(), evaluation: { episodes: 5, batchsize: 4 } }, 'evaluation.batchsize')).toContain('did you mean "batchSize"?');
  });

  it('a policy that cannot run in the world', () => {
    const raw = valid();
    raw.agents.push({ name: 'pop', kind: 'needs-popularity' });
    expect(issueAt(raw, 'agents[2].kind')).toContain('cannot run in world "recsim-interest-evolution": no popularity counters');
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
    expect(() => parseConfigText('a: 1\na: 2\n', 'dup.yaml')).toThrow(/^dup\.yaml:2:1: malformed YAML: Map keys must be unique/);
  });

  it('malformed JSON, with line and column', () => {
    expect(() => parseConfigText('{\n  "name": "x",,\n}', 'bad.json')).toThrow(/^bad\.json:2:\d+: malformed JSON: /);
  });

  it('a config that is not a mapping', () => {
    expect(issuesOf([1, 2])[0]).toContain('expected a mapping');
    expect(issuesOf(null)[0]).toContain('got null');
  });
});
