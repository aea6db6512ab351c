// An agent's streams are named by a stable key (agents/stream-key.ts): its kind, plus a hash of
// the hyper-parameters that differ from their defaults. Renaming an agent, reordering its
// parameters or adding a new parameter with a default changes nothing; changing a value does.
import { describe, expect, it } from 'vitest';
import { agents } from '../../agents/index.ts';
import { canonicalJson, streamKey } from '../../agents/stream-key.ts';
import { validateConfig } from '../../lab/config/config.ts';
import { defaultParams, type ParamSpec, type ParamSpecs } from '../../sim/params.ts';
import { contractSetting, SMALL_SETTINGS } from './helpers.ts';

/** Parameters with a nested group, as worlds and agents may declare them. */
const SPECS = {
  rate: { type: 'number', default: 0.1, doc: 'a rate' },
  mode: { type: 'enum', default: 'fast', values: ['fast', 'slow'], doc: 'a mode' },
  enabled: { type: 'boolean', default: true, doc: 'a switch' },
  prior: {
    type: 'group',
    doc: 'a nested group',
    params: {
      clicks: { type: 'number', default: 1, doc: 'pseudo-clicks' },
      misses: { type: 'number', default: 1, doc: 'pseudo-misses' },
    },
  },
} as const satisfies ParamSpecs;

const defaults = () => defaultParams(SPECS) as unknown as Record<string, unknown>;

/** A value the declaration accepts other than its default. */
function otherValue(spec: ParamSpec): unknown {
  switch (spec.type) {
    case 'boolean':
      return !spec.default;
    case 'enum':
      return spec.values.find((value) => value !== spec.default);
    case 'group':
      throw new Error('a group is not a setting');
    default:
      return spec.max === undefined || spec.default < spec.max ? spec.default + 1 : spec.default - 1;
  }
}
const HASHED = /^bandit~[0-9a-f]{8}$/;

describe('streamKey', () => {
  it('is the kind alone when every parameter has its default (for every registered agent too)', () => {
    expect(streamKey('bandit', SPECS, defaults())).toBe('bandit');
    for (const [kind, definition] of Object.entries(agents))
      expect(streamKey(kind, definition.params, defaultParams(definition.params))).toBe(kind);
  });

  it('changes when a parameter differs from its default: kind~<8 hex digits>, one key per value', () => {
    const keys = [
      streamKey('bandit', SPECS, { ...defaults(), rate: 0.2 }),
      streamKey('bandit', SPECS, { ...defaults(), rate: 0.3 }),
      streamKey('bandit', SPECS, { ...defaults(), mode: 'slow' }),
      streamKey('bandit', SPECS, { ...defaults(), enabled: false }),
      streamKey('bandit', SPECS, { ...defaults(), prior: { clicks: 2, misses: 1 } }),
      streamKey('bandit', SPECS, { ...defaults(), prior: { clicks: 1, misses: 2 } }),
    ];
    for (const key of keys) expect(key).toMatch(HASHED);
    expect(new Set(keys).size).toBe(keys.length);
    // Another kind with the same values has another key.
    expect(streamKey('other', SPECS, { ...defaults(), rate: 0.2 })).toBe(`other~${keys[0].slice('bandit~'.length)}`);
    // A value set back to its default is the default key again.
    expect(streamKey('bandit', SPECS, { ...defaults(), rate: 0.1 })).toBe('bandit');
  });

  it('does not depend on the order of keys, at the top level or in a group', () => {
    const a = { rate: 0.25, mode: 'slow', enabled: true, prior: { clicks: 3, misses: 1 } };
    const b = { prior: { misses: 1, clicks: 3 }, enabled: true, mode: 'slow', rate: 0.25 };
    expect(streamKey('bandit', SPECS, a)).toBe(streamKey('bandit', SPECS, b));
    expect(streamKey('bandit', SPECS, a)).toMatch(HASHED);
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('compares nested groups field by field: only the changed field counts, and adding a defaulted field changes no key', () => {
    // The key hashes only what differs from the defaults: { prior: { clicks: 3 } }.
    const changed = streamKey('bandit', SPECS, { ...defaults(), prior: { clicks: 3, misses: 1 } });
    expect(changed).toMatch(HASHED);
    expect(changed).toBe(streamKey('bandit', { prior: SPECS.prior }, { prior: { clicks: 3 } }));
    // A new parameter with a default, in the group and at the top level: existing keys stay.
    const grown = {
      ...SPECS,
      extra: { type: 'int', default: 5, doc: 'added later' },
      prior: {
        ...SPECS.prior,
        params: { ...SPECS.prior.params, decay: { type: 'number', default: 0.9, doc: 'added later' } },
      },
    } as const satisfies ParamSpecs;
    const grownDefaults = defaultParams(grown) as unknown as Record<string, unknown>;
    expect(streamKey('bandit', grown, grownDefaults)).toBe('bandit');
    expect(streamKey('bandit', grown, { ...grownDefaults, prior: { clicks: 3, misses: 1, decay: 0.9 } })).toBe(changed);
    // ...and setting the new field away from its default makes a new key.
    expect(streamKey('bandit', grown, { ...grownDefaults, prior: { clicks: 3, misses: 1, decay: 0.5 } })).not.toBe(
      changed,
    );
  });

  it('names a real agent: thompson with 2 prior clicks gets a hashed key, whatever the order of its values', () => {
    const thompson = agents.thompson;
    const key = streamKey('thompson', thompson.params, { ...defaultParams(thompson.params), priorClicks: 2 });
    expect(key).toMatch(/^thompson~[0-9a-f]{8}$/);
    expect(key).toBe(
      streamKey('thompson', thompson.params, {
        priorClicks: 2,
        ...Object.fromEntries(
          Object.entries(defaultParams(thompson.params))
            .filter(([name]) => name !== 'priorClicks')
            .reverse(),
        ),
      }),
    );
  });

  it("leaves out settings that change no decision (each agent's notInStreamKey, e.g. propensitySamples)", () => {
    const left: string[] = [];
    for (const [kind, definition] of Object.entries(agents)) {
      const { world } = contractSetting(kind);
      for (const name of definition.notInStreamKey ?? []) {
        const changed = { ...SMALL_SETTINGS[kind], [name]: otherValue(definition.params[name]) };
        const config = validateConfig(
          {
            world: { preset: world.preset, params: world.params },
            agents: [
              { name: 'a', kind, params: SMALL_SETTINGS[kind] },
              { name: 'b', kind, params: changed },
            ],
            training: { steps: 100 },
          },
          'c.yaml',
        );
        expect(config.agents[1].params[name], `${kind}.${name}`).not.toEqual(config.agents[0].params[name]);
        expect(config.agents[1].streamKey, `${kind}.${name}`).toBe(config.agents[0].streamKey);
        left.push(`${kind}.${name}`);
      }
    }
    expect(left).toEqual(expect.arrayContaining(['thompson.propensitySamples', 'lin-ts.propensitySamples']));
  });
});
