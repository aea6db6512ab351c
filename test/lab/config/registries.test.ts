// The registries a config's names are looked up in (lab/config/registries.ts): each name is its
// definition's own, and a `kind` names one policy or one learning agent, never both.
import { describe, expect, it } from 'vitest';
import { defaultRegistries, findKind } from '../../../lab/config/registries.ts';

describe('the registries', () => {
  it("file every world, policy and agent under its definition's name", () => {
    const { worlds, policies, agents = {} } = defaultRegistries;
    for (const registry of [worlds, policies, agents]) {
      for (const [name, definition] of Object.entries(registry)) expect(definition.name).toBe(name);
    }
  });

  it('find every kind: policies as fixed, agents as learning; no kind is both', () => {
    const { policies, agents = {} } = defaultRegistries;
    expect(Object.keys(policies).filter((kind) => Object.hasOwn(agents, kind))).toEqual([]);
    for (const [kind, definition] of Object.entries(policies)) {
      expect(findKind(defaultRegistries, kind)).toEqual({ learns: false, definition });
    }
    for (const [kind, definition] of Object.entries(agents)) {
      expect(findKind(defaultRegistries, kind)).toEqual({ learns: true, definition });
    }
    expect(findKind(defaultRegistries, 'no-such-kind')).toBeNull();
  });
});
