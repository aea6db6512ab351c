// Hyper-parameter sweeps (config `sweep:`): an agent's parameters varied over a grid or a list of
// variants, each variant an agent of its own, named by what it sets (e.g. linucb_alpha-0.3), so
// every result, chart and report names it. Expanded before validation, so each variant's
// parameters are checked by the agent's own declaration like any agent's; the variant remembers
// what it was swept from (AgentConfig.variant), for `tuning:` (lab/report/tuning.ts).
//
//   sweep:
//     agents:
//       linucb: { grid: { alpha: [0.1, 0.3, 1], lambda: [1, 10] } }   # every combination: 6 variants
//       ranker: { variants: [{ lr: 0.001 }, { lr: 0.01, hidden: 128 }] }
//
// World parameters (`sweep: { world: { grid | variants } }`) are swept apart: another world is
// another experiment (other users), each with its own summary, compared unpaired
// (lab/config/world-sweep.ts, lab/run/world-sweep.ts).
import { SAFE_NAME } from './safe-name.ts';

/** What a swept agent's variant was made from. */
export interface VariantOf {
  /** The agent's name in the config's `agents:` list. */
  readonly agent: string;
  /** The parameters the variant sets (over the agent's own `params`). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** A raw agent entry of the expanded list, with where it came from for messages. */
export interface ExpandedAgent {
  readonly raw: unknown;
  /** Its index in the config's own `agents:` list. */
  readonly index: number;
  readonly variant: VariantOf | null;
  /** The field that set its parameters, for messages about them (agents[i].params or sweep.agents.X.grid). */
  readonly paramsField: string;
}

type Report = (field: string, message: string) => void;

const MAX_VARIANTS = 1000;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a part of a file name: numbers and words as they are, anything else made safe. */
function nameValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[^A-Za-z0-9.-]+/g, '-') || 'x';
}

/** What a variant sets, as a name: alpha-0.3_ridge-2. */
export function variantLabel(params: Readonly<Record<string, unknown>>): string {
  const label = Object.entries(params)
    .map(([key, value]) => `${key}-${nameValue(value)}`)
    .join('_');
  // A variant that sets nothing keeps the defaults (and the agent's own params).
  return label || 'defaults';
}

/** Every combination of the grid's values, in the grid's order (the last parameter varies fastest). */
function gridVariants(grid: Record<string, readonly unknown[]>): Record<string, unknown>[] {
  let variants: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(grid))
    variants = variants.flatMap((variant) => values.map((value) => ({ ...variant, [name]: value })));
  return variants;
}

/** The variants a grid or list at `field` gives, or null after reporting what is wrong. */
export function variantsOf(field: string, given: unknown, report: Report): Record<string, unknown>[] | null {
  const key = field.split('.').pop();
  const example = `e.g. ${key}: { grid: { alpha: [0.1, 1] } } or ${key}: { variants: [{ alpha: 0.1 }, { alpha: 1 }] }`;
  if (!isMapping(given) || Object.keys(given).length !== 1 || !('grid' in given || 'variants' in given)) {
    report(field, `give a grid or a list of variants, ${example}`);
    return null;
  }
  if ('grid' in given) {
    const grid = given.grid;
    if (!isMapping(grid) || Object.keys(grid).length === 0) {
      report(`${field}.grid`, `give each swept parameter its list of values, ${example}`);
      return null;
    }
    const bad = Object.entries(grid).find(([, values]) => !Array.isArray(values) || values.length === 0);
    if (bad) {
      report(`${field}.grid.${bad[0]}`, `give a list of at least one value, e.g. ${bad[0]}: [0.1, 1]`);
      return null;
    }
    return gridVariants(grid as Record<string, unknown[]>);
  }
  const variants = given.variants;
  if (!Array.isArray(variants) || variants.length === 0) {
    report(`${field}.variants`, `give a list of parameter mappings, ${example}`);
    return null;
  }
  const bad = variants.findIndex((variant) => !isMapping(variant));
  if (bad >= 0) {
    report(`${field}.variants[${bad}]`, 'give a mapping of parameters, e.g. { alpha: 0.1 }');
    return null;
  }
  return variants as Record<string, unknown>[];
}

/**
 * The config's agents with each swept agent replaced by its variants (in sweep order), reporting
 * what is wrong with the sweep. Without `sweep`, the agents as they are.
 */
export function expandSweep(given: Record<string, unknown>, report: Report): ExpandedAgent[] {
  const agents = Array.isArray(given.agents) ? (given.agents as unknown[]) : [];
  const plain = agents.map((raw, index) => ({ raw, index, variant: null, paramsField: `agents[${index}].params` }));
  if (given.sweep === undefined) return plain;
  if (!isMapping(given.sweep) || Object.keys(given.sweep).some((key) => key !== 'agents' && key !== 'world')) {
    report(
      'sweep',
      'expected { agents: { <agent name>: { grid: {...} } or { variants: [...] } }, world: { grid: {...} } }',
    );
    return plain;
  }
  if ('world' in given.sweep)
    report(
      'sweep.world',
      'a world sweep is several experiments (other users in each): run it with slatelab run, which runs each world apart (or loadWorldSweep)',
    );
  if (given.sweep.agents === undefined) return plain;
  const swept = given.sweep.agents;
  if (!isMapping(swept) || Object.keys(swept).length === 0) {
    report('sweep.agents', 'name the agents to sweep, e.g. agents: { linucb: { grid: { alpha: [0.1, 1] } } }');
    return plain;
  }
  const names = agents.flatMap((agent) => (isMapping(agent) && typeof agent.name === 'string' ? [agent.name] : []));
  for (const name of Object.keys(swept))
    if (!names.includes(name))
      report(`sweep.agents.${name}`, `no agent is named "${name}"; sweep one of: ${names.join(', ')}`);

  const expanded: ExpandedAgent[] = [];
  const isSwept = (name: string) => Object.hasOwn(swept, name);
  const taken = new Set(names.filter((name) => !isSwept(name)).map((name) => name.toLowerCase()));
  // A swept name given to two agents would make their variants one agent's: refused here, where the
  // variants' own names would hide it from the duplicate check.
  const sweptAt = new Map<string, number>();
  let total = 0;
  agents.forEach((raw, index) => {
    if (!isMapping(raw) || typeof raw.name !== 'string' || !isSwept(raw.name)) {
      expanded.push(plain[index]);
      return;
    }
    const name = raw.name;
    const earlier = sweptAt.get(name);
    if (earlier !== undefined) {
      report(
        `agents[${index}].name`,
        `duplicate agent name "${name}" (also agents[${earlier}]); give each agent its own name`,
      );
      return;
    }
    sweptAt.set(name, index);
    const variants = variantsOf(`sweep.agents.${name}`, swept[name], report);
    if (variants === null) return;
    total += variants.length;
    const isGrid = isMapping(swept[name]) && 'grid' in swept[name];
    const base = isMapping(raw.params) ? raw.params : {};
    variants.forEach((params, v) => {
      const named = `${name}_${variantLabel(params)}`;
      // A name too long (or clashing) for a file name falls back to the variant's number.
      let variantName = SAFE_NAME.test(named) && !taken.has(named.toLowerCase()) ? named : `${name}_v${v}`;
      if (taken.has(variantName.toLowerCase())) variantName = `${name}_v${v}_${index}`;
      taken.add(variantName.toLowerCase());
      expanded.push({
        raw: { ...raw, name: variantName, params: { ...base, ...params } },
        index,
        variant: { agent: name, params },
        paramsField: isGrid ? `sweep.agents.${name}.grid` : `sweep.agents.${name}.variants[${v}]`,
      });
    });
  });
  if (total > MAX_VARIANTS)
    report(
      'sweep.agents',
      `${total} variants; at most ${MAX_VARIANTS}: sweep fewer values, or split the sweep into configs`,
    );
  return expanded;
}
