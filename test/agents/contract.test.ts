// The settings the registry-wide contract tests (save-load, eval-mode, propensities) run every
// registered agent with (test/agents/helpers.ts): a new agent is covered by its registry line alone,
// and the small settings name only agents and hyper-parameters that exist.
import { describe, expect, it } from 'vitest';
import { agents } from '../../agents/index.ts';
import { resolveParams } from '../../sim/params.ts';
import { AGENT_KINDS, contractSetting, SMALL_SETTINGS } from './helpers.ts';

describe('the contract tests of agents', () => {
  it('loop over the registry: every registered agent, no other', () => {
    expect([...AGENT_KINDS].sort()).toEqual(Object.keys(agents).sort());
  });

  it('find every registered agent a small world it supports', () => {
    for (const kind of AGENT_KINDS) expect(() => contractSetting(kind), kind).not.toThrow();
  });

  it('give small settings only to registered agents, as hyper-parameters they declare with values they accept', () => {
    for (const [kind, overrides] of Object.entries(SMALL_SETTINGS)) {
      expect(Object.keys(agents), `SMALL_SETTINGS.${kind}`).toContain(kind);
      const { values, issues } = resolveParams(agents[kind].params, overrides, `SMALL_SETTINGS.${kind}`);
      expect([...issues, ...(agents[kind].check?.(values) ?? [])]).toEqual([]);
    }
  });
});
